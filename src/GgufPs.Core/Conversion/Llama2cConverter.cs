using System.Buffers.Binary;

namespace GgufPs.Conversion;

/// <summary>
/// Plans the conversion of a llama2.c checkpoint (karpathy's model.bin: seven int32 hyperparameters, then F32
/// weights) to a llama GGUF with the metadata, tensor names and order that llama.cpp's convert-llama2c-to-ggml writes.
/// </summary>
internal static class Llama2cConverter
{
    private const int HeaderBytes = 7 * 4;

    /// <summary>True when the file starts like a llama2.c checkpoint whose size matches its header.</summary>
    public static bool LooksLikeCheckpoint(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            var header = new byte[HeaderBytes];
            if (stream.Read(header) != HeaderBytes)
            {
                return false;
            }
            return Layout.FromHeader(header, stream.Length, path, validate: false) is { } layout && layout.ExpectedBytes == stream.Length;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ModelFormatException or OverflowException)
        {
            return false;
        }
    }

    public static ConversionPlan Plan(string checkpointPath, ConversionOptions options, Action<string>? warn = null)
    {
        checkpointPath = Path.GetFullPath(checkpointPath);
        if (!File.Exists(checkpointPath))
        {
            throw new FileNotFoundException($"Cannot find the llama2.c checkpoint '{checkpointPath}'.", checkpointPath);
        }
        string tokenizerPath = options.TokenizerPath is not null ? Path.GetFullPath(options.TokenizerPath) : FindTokenizer(checkpointPath);
        var warnings = new List<string>();
        var input = MemoryMappedInput.Open(checkpointPath);
        try
        {
            if (input.Length < HeaderBytes)
            {
                throw new ModelFormatException(checkpointPath, $"it has {input.Length} bytes, fewer than the 28-byte llama2.c header");
            }
            var layout = Layout.FromHeader(input.Span(0, HeaderBytes), input.Length, checkpointPath, validate: true)!;
            if (input.Length != layout.ExpectedBytes)
            {
                throw new ModelFormatException(checkpointPath, input.Length < layout.ExpectedBytes
                    ? $"it is truncated: its header needs {layout.ExpectedBytes} bytes but the file has {input.Length}"
                    : $"it has {input.Length - layout.ExpectedBytes} bytes more than its header accounts for");
            }
            var vocabulary = Llama2cVocabulary.Load(tokenizerPath, layout.VocabSize);
            var outputType = options.OutputType == ConversionOutputType.Auto ? ConversionOutputType.F32 : options.OutputType;
            var tensors = options.VocabOnly ? [] : PlanTensors(input, layout, outputType, m => { warnings.Add(m); warn?.Invoke(m); });

            var metadata = new GgufMetadataBuilder();
            metadata.Array("tokenizer.ggml.tokens", vocabulary.Tokens);
            metadata.Array("tokenizer.ggml.scores", vocabulary.Scores);
            metadata.Array("tokenizer.ggml.token_type", vocabulary.Types);
            metadata.String("tokenizer.ggml.model", "llama");
            metadata.String("general.architecture", "llama");
            metadata.String("general.name", "llama");
            metadata.UInt32("tokenizer.ggml.unknown_token_id", 0);
            metadata.UInt32("tokenizer.ggml.bos_token_id", 1);
            metadata.UInt32("tokenizer.ggml.eos_token_id", 2);
            metadata.UInt32("tokenizer.ggml.seperator_token_id", uint.MaxValue);
            metadata.UInt32("tokenizer.ggml.padding_token_id", uint.MaxValue);
            metadata.UInt32("llama.context_length", options.Llama2cContextLength);
            metadata.UInt32("llama.embedding_length", layout.Dim);
            metadata.UInt32("llama.feed_forward_length", layout.HiddenDim);
            metadata.UInt32("llama.attention.head_count", layout.Heads);
            metadata.UInt32("llama.attention.head_count_kv", layout.KvHeads > 0 ? layout.KvHeads : layout.Heads);
            metadata.UInt32("llama.block_count", layout.Layers);
            metadata.UInt32("llama.rope.dimension_count", Math.Min(64, layout.Dim / layout.Heads));
            metadata.Float32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
            if (outputType != ConversionOutputType.F32)
            {
                // The llama2.c tool writes F32 only and no file type; other outputs say what they hold.
                metadata.UInt32("general.file_type", (int)HfModelConverter.FileType(outputType));
            }
            HfModelConverter.ApplyOverrides(metadata, options.Metadata);
            string output = HfModelConverter.OutputPath(options, checkpointPath, Path.GetFileNameWithoutExtension(checkpointPath), outputType, metadata);
            return new ConversionPlan(checkpointPath, output, "llama", outputType, metadata.ToList(), tensors, warnings, [input]);
        }
        catch
        {
            input.Dispose();
            throw;
        }
    }

    /// <summary>A tok*.bin (or tokenizer.bin) beside the checkpoint; an error when there is none or several.</summary>
    public static string FindTokenizer(string checkpointPath)
    {
        string folder = Path.GetDirectoryName(checkpointPath)!;
        var candidates = Directory.EnumerateFiles(folder, "tok*.bin")
            .Where(p => !string.Equals(Path.GetFullPath(p), checkpointPath, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        return candidates.Count switch
        {
            1 => candidates[0],
            0 => throw new FileNotFoundException($"No llama2.c tokenizer (tok*.bin) is beside '{checkpointPath}'; name one with -TokenizerPath.",
                Path.Combine(folder, "tokenizer.bin")),
            _ => throw new ArgumentException($"Several tokenizers are beside '{checkpointPath}' ({string.Join(", ", candidates.Select(Path.GetFileName))}); name one with -TokenizerPath."),
        };
    }

    private static List<PlannedTensor> PlanTensors(MemoryMappedInput input, Layout l, ConversionOutputType outputType, Action<string> warn)
    {
        var tensors = new List<PlannedTensor>();
        void Add(string name, long offset, params long[] shape)
        {
            var source = TensorSource.Mapped(input, offset, SafetensorsDataType.F32, shape);
            var type = HfModelConverter.TargetType(null, name, shape.Length, shape[^1], outputType, warn);
            tensors.Add(new PlannedTensor(name, name, source, type));
        }
        long dim = l.Dim, hidden = l.HiddenDim, vocab = l.VocabSize, kvDim = l.KvDim;
        long embeddings = HeaderBytes;
        long rmsAttention = embeddings + 4 * vocab * dim;
        long wq = rmsAttention + 4 * l.Layers * dim;
        long wk = wq + 4 * l.Layers * dim * dim;
        long wv = wk + 4 * l.Layers * l.KvMatrix;
        long wo = wv + 4 * l.Layers * l.KvMatrix;
        long rmsFfn = wo + 4 * l.Layers * dim * dim;
        long w1 = rmsFfn + 4 * l.Layers * dim;
        long w2 = w1 + 4 * l.Layers * hidden * dim;
        long w3 = w2 + 4 * l.Layers * hidden * dim;
        long rmsFinal = w3 + 4 * l.Layers * hidden * dim;
        long classifier = rmsFinal + 4 * dim + 4 * l.SeqLen * (dim / l.Heads);

        Add("token_embd.weight", embeddings, vocab, dim);
        Add("output_norm.weight", rmsFinal, dim);
        Add("output.weight", l.SharedClassifier ? embeddings : classifier, vocab, dim);
        for (long i = 0; i < l.Layers; i++)
        {
            Add($"blk.{i}.attn_q.weight", wq + 4 * i * dim * dim, dim, dim);
            Add($"blk.{i}.attn_k.weight", wk + 4 * i * l.KvMatrix, kvDim, dim);
            Add($"blk.{i}.attn_v.weight", wv + 4 * i * l.KvMatrix, kvDim, dim);
            Add($"blk.{i}.attn_output.weight", wo + 4 * i * dim * dim, dim, dim);
            Add($"blk.{i}.attn_norm.weight", rmsAttention + 4 * i * dim, dim);
            Add($"blk.{i}.ffn_gate.weight", w1 + 4 * i * hidden * dim, hidden, dim);
            Add($"blk.{i}.ffn_down.weight", w2 + 4 * i * hidden * dim, dim, hidden);
            Add($"blk.{i}.ffn_up.weight", w3 + 4 * i * hidden * dim, hidden, dim);
            Add($"blk.{i}.ffn_norm.weight", rmsFfn + 4 * i * dim, dim);
        }
        return tensors;
    }

    /// <summary>The checkpoint's hyperparameters and the sizes that follow from them, with llama2.c's integer arithmetic.</summary>
    private sealed record Layout(int Dim, int HiddenDim, int Layers, int Heads, int KvHeads, int VocabSize, int SeqLen, bool SharedClassifier)
    {
        public long MultiQueries => KvHeads <= 0 || KvHeads >= Heads ? 1 : Heads / KvHeads;

        public long KvDim => Dim / MultiQueries;

        /// <summary>Elements of one layer's wk or wv, as the tool computes them: dim * dim / n_multiqueries.</summary>
        public long KvMatrix => (long)Dim * Dim / MultiQueries;

        public long ExpectedBytes => checked(HeaderBytes + 4 * (
            (long)VocabSize * Dim
            + (long)Layers * Dim * 2
            + (long)Layers * Dim * Dim * 2
            + (long)Layers * KvMatrix * 2
            + (long)Layers * HiddenDim * Dim * 3
            + Dim
            + (long)SeqLen * (Dim / Heads)
            + (SharedClassifier ? 0 : (long)VocabSize * Dim)));

        public static Layout? FromHeader(ReadOnlySpan<byte> header, long fileLength, string path, bool validate)
        {
            var v = new int[7];
            for (int i = 0; i < 7; i++)
            {
                v[i] = BinaryPrimitives.ReadInt32LittleEndian(header[(4 * i)..]);
            }
            int dim = v[0], hidden = v[1], layers = v[2], heads = v[3], kvHeads = v[4], vocab = v[5], seqLen = v[6];
            string? problem = null;
            if (dim <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || seqLen < 0 || vocab == 0 || vocab == int.MinValue)
            {
                problem = $"its header (dim {dim}, hidden {hidden}, layers {layers}, heads {heads}, kv heads {kvHeads}, vocab {vocab}, seq_len {seqLen}) is not a llama2.c model";
            }
            else if (dim % heads != 0 || (kvHeads > 0 && kvHeads < heads && heads % kvHeads != 0))
            {
                problem = $"its {heads} heads do not divide dim {dim} or are not a multiple of its {kvHeads} KV heads";
            }
            if (problem is not null)
            {
                return validate ? throw new ModelFormatException(path, problem) : null;
            }
            var layout = new Layout(dim, hidden, layers, heads, kvHeads, Math.Abs(vocab), seqLen, vocab > 0);
            try
            {
                _ = layout.ExpectedBytes;
            }
            catch (OverflowException)
            {
                return validate ? throw new ModelFormatException(path, "its header describes a model too large to exist") : null;
            }
            return layout;
        }
    }
}
