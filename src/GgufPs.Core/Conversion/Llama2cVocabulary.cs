using System.Buffers.Binary;
using System.Text;

namespace GgufPs.Conversion;

/// <summary>
/// A llama2.c tokenizer (tok*.bin: a u32 max token length, then for each token an f32 score, a u32 length and the
/// bytes), read as llama.cpp's convert-llama2c-to-ggml reads it: ids 0-2 become &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;,
/// &lt;0xNN&gt; pieces are byte tokens and spaces become SentencePiece's U+2581. A GGUF with a llama vocabulary is
/// accepted too, as that tool accepts one.
/// </summary>
internal sealed class Llama2cVocabulary
{
    private const int TokenNormal = 1, TokenUnknown = 2, TokenControl = 3, TokenByte = 6;

    private Llama2cVocabulary(string[] tokens, float[] scores, int[] types)
    {
        Tokens = tokens;
        Scores = scores;
        Types = types;
    }

    public string[] Tokens { get; }

    public float[] Scores { get; }

    public int[] Types { get; }

    public static Llama2cVocabulary Load(string path, int vocabSize)
    {
        string fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"Cannot find the llama2.c tokenizer '{fullPath}'.", fullPath);
        }
        var info = new FileInfo(fullPath);
        if (info.Length > 1L << 30)
        {
            throw new ModelFormatException(fullPath, $"a tokenizer of {info.Length} bytes is implausibly large");
        }
        byte[] data = File.ReadAllBytes(fullPath);
        if (data.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(data) == GgufLayout.Magic)
        {
            return FromGguf(fullPath, vocabSize);
        }
        var tokens = new string[vocabSize];
        var scores = new float[vocabSize];
        var types = new int[vocabSize];
        int position = 4;
        if (data.Length < 4)
        {
            throw new ModelFormatException(fullPath, "it is too short to be a llama2.c tokenizer");
        }
        for (int id = 0; id < vocabSize; id++)
        {
            if (data.Length - position < 8)
            {
                throw new ModelFormatException(fullPath, $"it ends after {id} of the {vocabSize} tokens the checkpoint needs");
            }
            float score = BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(position));
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(position + 4));
            position += 8;
            if (length > (uint)(data.Length - position))
            {
                throw new ModelFormatException(fullPath, $"token {id} claims {length} bytes, past the end of the file");
            }
            string text = Encoding.UTF8.GetString(data, position, (int)length);
            position += (int)length;
            int type;
            if (id == 0)
            {
                text = "<unk>";
                type = TokenUnknown;
            }
            else if (id == 1)
            {
                text = "<s>";
                type = TokenControl;
            }
            else if (id == 2)
            {
                text = "</s>";
                type = TokenControl;
            }
            else if (text.Length == 0)
            {
                type = TokenControl;
            }
            else if (text.Length > 3 && text.StartsWith("<0x", StringComparison.Ordinal) && Uri.IsHexDigit(text[3]))
            {
                // The tool's sscanf("<0x%02hhX>") test: a hex digit after "<0x".
                type = TokenByte;
            }
            else
            {
                type = TokenNormal;
            }
            tokens[id] = text.Replace(' ', '\u2581');
            scores[id] = score;
            types[id] = type;
        }
        return new Llama2cVocabulary(tokens, scores, types);
    }

    private static Llama2cVocabulary FromGguf(string path, int vocabSize)
    {
        using var file = GgufFile.Open(path);
        if (file.Metadata.GetString("tokenizer.ggml.model") != "llama")
        {
            throw new ModelFormatException(path, "its tokenizer.ggml.model is not 'llama'");
        }
        var tokens = file.Metadata.GetArray<string>("tokenizer.ggml.tokens");
        var scores = file.Metadata.GetArray<float>("tokenizer.ggml.scores");
        var types = file.Metadata.GetArray<int>("tokenizer.ggml.token_type");
        if (tokens is null || scores is null || types is null || scores.Length != tokens.Length || types.Length != tokens.Length)
        {
            throw new ModelFormatException(path, "it lacks consistent tokenizer.ggml.tokens, scores and token_type arrays");
        }
        if (tokens.Length != vocabSize)
        {
            throw new ModelFormatException(path, $"its vocabulary has {tokens.Length} tokens but the checkpoint has {vocabSize}");
        }
        return new Llama2cVocabulary(tokens, scores, types);
    }
}
