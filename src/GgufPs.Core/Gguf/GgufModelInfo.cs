namespace GgufPs;

/// <summary>What Get-GgufInfo reports about a model file, and what the cmdlets pass along the pipeline.</summary>
public sealed class GgufModelInfo
{
    public GgufModelInfo(string path, long fileSize, uint version, GgufMetadataCollection metadata,
        IReadOnlyList<GgufTensorInfo> tensors, uint alignment, long dataOffset, IReadOnlyList<GgufSplitPart>? parts = null)
    {
        Parts = parts ?? [new GgufSplitPart(0, path, fileSize, tensors.Count)];
        Path = path;
        FileSize = fileSize;
        Version = version;
        Metadata = metadata;
        Tensors = tensors;
        Alignment = alignment;
        DataOffset = dataOffset;

        var hparams = ModelHyperparameters.From(metadata);
        Architecture = hparams.Architecture;
        Name = metadata.GetString("general.name");
        long? fileType = metadata.GetInteger("general.file_type");
        FileType = fileType is null ? null : FileTypeName(fileType.Value);

        long parameters = 0, bytes = 0;
        foreach (var t in tensors)
        {
            parameters += t.ElementCount;
            bytes += t.ByteSize;
        }
        ParameterCount = parameters;
        TensorBytes = bytes;

        ContextLength = hparams.ContextLength;
        EmbeddingLength = hparams.EmbeddingLength;
        BlockCount = hparams.BlockCount;
        FeedForwardLength = hparams.FeedForwardLength;
        HeadCount = hparams.HeadCount;
        HeadCountKv = hparams.HeadCountKv;
        VocabularySize = hparams.VocabularySize;
        TokenizerModel = metadata.GetString("tokenizer.ggml.model");
    }

    /// <summary>The full path of the file, or of the first part of a split set.</summary>
    public string Path { get; }

    public string FileName => System.IO.Path.GetFileName(Path);

    public uint Version { get; }

    public string? Architecture { get; }

    /// <summary>general.name, when the file has it.</summary>
    public string? Name { get; }

    /// <summary>general.file_type as llama.cpp names it (MOSTLY_Q4_K_M), or null when the file does not say.</summary>
    public string? FileType { get; }

    public int TensorCount => Tensors.Count;

    /// <summary>Elements in all tensors.</summary>
    public long ParameterCount { get; }

    /// <summary>Bytes on disk; for a split set, of all its parts.</summary>
    public long FileSize { get; }

    /// <summary>The number of files: 1, or the parts of a split set.</summary>
    public int SplitCount => Parts.Count;

    /// <summary>The model's files in split order.</summary>
    public IReadOnlyList<GgufSplitPart> Parts { get; }

    /// <summary>Bytes of tensor data, without header and padding.</summary>
    public long TensorBytes { get; }

    /// <summary>Tensor bits per parameter.</summary>
    public double BitsPerWeight => ParameterCount == 0 ? 0 : TensorBytes * 8.0 / ParameterCount;

    public long? ContextLength { get; }

    public long? EmbeddingLength { get; }

    public long? BlockCount { get; }

    /// <summary>Layer 0's when the file gives one per layer, as llama.cpp's n_ff().</summary>
    public long? FeedForwardLength { get; }

    /// <summary>Layer 0's when the file gives one per layer, as llama.cpp's n_head().</summary>
    public long? HeadCount { get; }

    /// <summary>Layer 0's; the head count when the file does not say, as llama.cpp defaults it.</summary>
    public long? HeadCountKv { get; }

    public long? VocabularySize { get; }

    public string? TokenizerModel { get; }

    public uint Alignment { get; }

    public long DataOffset { get; }

    public GgufMetadataCollection Metadata { get; }

    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    public override string ToString() => Path;

    /// <summary>A llama_ftype number as llama.cpp names it, or Unknown(n).</summary>
    public static string FileTypeName(long fileType) =>
        Enum.IsDefined(typeof(LlamaFileType), (int)fileType) && fileType is >= 0 and <= int.MaxValue
            ? ((LlamaFileType)(int)fileType).ToString()
            : $"Unknown({fileType})";
}
