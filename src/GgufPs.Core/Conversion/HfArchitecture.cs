using System.Text.RegularExpressions;

namespace GgufPs.Conversion;

/// <summary>
/// One Hugging Face model class and how llama.cpp's converter turns it into a GGUF architecture: the
/// hyperparameter keys, the tensor name mapping with any reshaping, and the vocabulary to write.
/// </summary>
internal abstract partial class HfArchitecture
{
    /// <summary>The config.json "architectures" names this class converts.</summary>
    public abstract IReadOnlyList<string> HfNames { get; }

    /// <summary>general.architecture of the output.</summary>
    public abstract string GgufName { get; }

    /// <summary>Checks the config and fills in what transformers' config class would default.</summary>
    public virtual void Validate(HfConfig config)
    {
    }

    /// <summary>Keys the converter writes while preparing tensors, so before general.type and general.name.</summary>
    public virtual void WriteEarlyParameters(GgufMetadataBuilder metadata, HfConfig config)
    {
    }

    /// <summary>Writes the architecture's hyperparameters (after general.*), ending with general.file_type where the converter puts it.</summary>
    public abstract void WriteParameters(GgufMetadataBuilder metadata, HfConfig config, LlamaFileType fileType);

    /// <summary>
    /// The GGUF name and transform of a source tensor; null for tensors the converter drops. Unknown names throw,
    /// as llama.cpp's converter refuses to guess.
    /// </summary>
    public abstract (string Name, TensorTransform Transform, int RopeHeads)? MapTensor(string name, long[] shape, HfConfig config);

    /// <summary>Tensors the converter computes rather than reads (llama3 rope_freqs); written before the model's own.</summary>
    public virtual IEnumerable<(string Name, float[] Values)> ExtraTensors(HfConfig config) => [];

    /// <summary>Writes tokenizer.ggml.* (and anything the converter adds after the vocabulary).</summary>
    public abstract void WriteVocabulary(string folder, HfConfig config, GgufMetadataBuilder metadata, Action<string> warn);

    /// <summary>Tensors llama.cpp keeps in F32 whatever the output type, besides 1-D tensors, norms and biases.</summary>
    public virtual bool KeepsF32(string ggufName) => ggufName == "position_embd.weight";

    public long BlockCount(HfConfig config) => config.RequireInteger("n_layers", "num_hidden_layers", "n_layer", "num_layers");

    /// <summary>Splits "prefix.N.rest.weight" into the block number and the rest; null when the name is not a block tensor.</summary>
    protected static (int Block, string Name, string Suffix)? SplitBlockName(string name, string prefix)
    {
        if (!name.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }
        var m = BlockPattern().Match(name, prefix.Length);
        if (!m.Success || m.Index != prefix.Length || !int.TryParse(m.Groups[1].Value, out int block))
        {
            return null;
        }
        return (block, m.Groups[2].Value, m.Groups[3].Value);
    }

    protected static NotSupportedException Unmapped(string name, string architecture) =>
        new($"Cannot map tensor '{name}' of {architecture} to a llama.cpp tensor name.");

    [GeneratedRegex(@"\G(\d+)\.(.+)\.(weight|bias)$")]
    private static partial Regex BlockPattern();
}
