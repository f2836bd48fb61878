namespace GgufPs.Oracle;

/// <summary>
/// Generation replayed over the oracle as llama-cli runs it: the prompt decoded in one batch into an empty KV cache,
/// then each chosen token decoded alone at the next position, the logits of the last token choosing the next.
/// Which token is chosen is up to the caller (argmax, or the oracle's own sampler chain). As an ITokenEvaluator it
/// also runs our own generator on llama.cpp's logits.
/// </summary>
internal sealed unsafe class LlamaCppGeneration : GgufPs.Generation.ITokenEvaluator, IDisposable
{
    private readonly LlamaCppModel _model;
    private IntPtr _context;

    private LlamaCppGeneration(LlamaCppModel model, IntPtr context, int contextLength)
    {
        _model = model;
        _context = context;
        ContextLength = contextLength;
    }

    public int VocabularySize => _model.VocabularySize;

    public int ContextLength { get; }

    /// <summary>Positions in the KV cache.</summary>
    public int Position { get; private set; }

    /// <summary>Loads a model with a context of <paramref name="contextLength"/> positions (no flash attention, as the oracle's perplexity).</summary>
    public static LlamaCppGeneration Load(string path, int contextLength, int threads = 2)
    {
        var model = LlamaCppOracle.LoadModel(path, contextLength: 8, threads: threads)
            ?? throw new InvalidOperationException($"llama.cpp could not load '{path}'.");
        var cp = LlamaNative.llama_context_default_params();
        cp.NCtx = (uint)contextLength;
        cp.NBatch = (uint)contextLength;
        cp.NUbatch = (uint)contextLength;
        cp.NSeqMax = 1;
        cp.NThreads = threads;
        cp.NThreadsBatch = threads;
        cp.FlashAttnType = 0;
        IntPtr context = LlamaNative.llama_init_from_model(model.Model, cp);
        if (context == IntPtr.Zero)
        {
            model.Dispose();
            throw new InvalidOperationException("llama.cpp could not create a context.");
        }
        return new LlamaCppGeneration(model, context, contextLength);
    }

    /// <summary>llama_tokenize as llama-cli tokenizes its prompt (add special, parse special).</summary>
    public int[] Tokenize(string prompt) => _model.Tokenize(prompt, addSpecial: true, parseSpecial: true);

    public bool IsEndOfGeneration(int token) => LlamaNative.llama_vocab_is_eog(_model.Vocab, token) != 0;

    /// <summary>
    /// Decodes <paramref name="prompt"/>, then up to <paramref name="count"/> tokens, each chosen by
    /// <paramref name="choose"/> from the logits of the position before; stops after an end-of-generation token when
    /// <paramref name="stopAtEndOfGeneration"/> (that token is not returned).
    /// </summary>
    public List<int> Generate(int[] prompt, int count, Func<float[], int> choose, bool stopAtEndOfGeneration = true)
    {
        Clear();
        var logits = new float[VocabularySize];
        Evaluate(prompt, prompt.Length - 1, logits, default);
        var tokens = new List<int>();
        while (tokens.Count < count)
        {
            int token = choose(logits);
            if (stopAtEndOfGeneration && IsEndOfGeneration(token))
            {
                break;
            }
            tokens.Add(token);
            if (tokens.Count < count)
            {
                Evaluate([token], 0, logits, default);
            }
        }
        return tokens;
    }

    /// <summary>Empties the KV cache (llama_memory_clear).</summary>
    public void Clear()
    {
        LlamaNative.llama_memory_clear(LlamaNative.llama_get_memory(_context), 1);
        Position = 0;
    }

    /// <summary>One llama_decode of <paramref name="tokens"/> at the next positions; the logits of tokens firstOutput.. are copied out.</summary>
    public void Evaluate(ReadOnlySpan<int> tokens, int firstOutput, Span<float> logits, CancellationToken cancellation)
    {
        int n = tokens.Length;
        var ids = tokens.ToArray();
        var pos = new int[n];
        var nSeq = new int[n];
        var seq = new int[n];
        var seqPtrs = new IntPtr[n];
        var flags = new sbyte[n];
        for (int i = 0; i < n; i++)
        {
            pos[i] = Position + i;
            nSeq[i] = 1;
            flags[i] = i >= firstOutput ? (sbyte)1 : (sbyte)0;
        }
        fixed (int* pIds = ids, pPos = pos, pNSeq = nSeq, pSeq = seq)
        fixed (IntPtr* pSeqPtrs = seqPtrs)
        fixed (sbyte* pFlags = flags)
        {
            for (int i = 0; i < n; i++)
            {
                pSeqPtrs[i] = (IntPtr)(pSeq + i);
            }
            var batch = new LlamaBatch { NTokens = n, Token = pIds, Pos = pPos, NSeqId = pNSeq, SeqId = (int**)pSeqPtrs, Logits = pFlags };
            int rc = LlamaNative.llama_decode(_context, batch);
            if (rc != 0)
            {
                throw new InvalidOperationException($"llama_decode returned {rc}.");
            }
        }
        Position += n;
        for (int i = firstOutput; i < n; i++)
        {
            new ReadOnlySpan<float>(LlamaNative.llama_get_logits_ith(_context, i), VocabularySize).CopyTo(logits.Slice((i - firstOutput) * VocabularySize, VocabularySize));
        }
    }

    /// <summary>The highest logit, ties going to the lowest id.</summary>
    public static int ArgMax(float[] logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
            {
                best = i;
            }
        }
        return best;
    }

    public void Dispose()
    {
        if (_context != IntPtr.Zero)
        {
            LlamaNative.llama_free(_context);
            _context = IntPtr.Zero;
        }
        _model.Dispose();
    }
}
