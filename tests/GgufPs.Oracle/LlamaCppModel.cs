using System.Text;

namespace GgufPs.Oracle;

/// <summary>A model (and, unless vocab-only, a context) loaded by llama.cpp.</summary>
internal sealed unsafe class LlamaCppModel : IDisposable
{
    private IntPtr _model;
    private IntPtr _context;

    public LlamaCppModel(IntPtr model, IntPtr context)
    {
        _model = model;
        _context = context;
        Vocab = LlamaNative.llama_model_get_vocab(model);
        VocabularySize = LlamaNative.llama_vocab_n_tokens(Vocab);
    }

    public IntPtr Vocab { get; }

    /// <summary>The llama_model pointer, for calls the helpers here do not wrap.</summary>
    public IntPtr Model => _model;

    public int VocabularySize { get; }

    /// <summary>llama_tokenize with llama-tokenize's defaults unless told otherwise.</summary>
    public int[] Tokenize(string text, bool addSpecial = true, bool parseSpecial = true)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        int capacity = bytes.Length + 16;
        while (true)
        {
            var tokens = new int[capacity];
            int n;
            fixed (byte* t = bytes)
            fixed (int* o = tokens)
            {
                n = LlamaNative.llama_tokenize(Vocab, t, bytes.Length, o, capacity, addSpecial ? (byte)1 : (byte)0, parseSpecial ? (byte)1 : (byte)0);
            }
            if (n >= 0)
            {
                return tokens[..n];
            }
            capacity = -n;
        }
    }

    public string TokenToPiece(int token, bool special = true)
    {
        var buffer = new byte[256];
        fixed (byte* b = buffer)
        {
            int n = LlamaNative.llama_token_to_piece(Vocab, token, b, buffer.Length, 0, special ? (byte)1 : (byte)0);
            return n < 0 ? "" : Encoding.UTF8.GetString(buffer, 0, n);
        }
    }

    /// <summary>
    /// Clears the KV cache and decodes <paramref name="tokens"/> at positions 0..n-1 in one batch, returning the
    /// logits of every position (n × vocabulary, row-major).
    /// </summary>
    public float[] EvaluateAll(ReadOnlySpan<int> tokens) => EvaluateFrom(tokens, 0);

    /// <summary>
    /// As <see cref="EvaluateAll"/>, but asks for the logits of positions firstOutput..n-1 only, as llama-perplexity
    /// does for the scored half of a chunk; returns (n - firstOutput) × vocabulary values.
    /// </summary>
    public float[] EvaluateFrom(ReadOnlySpan<int> tokens, int firstOutput)
    {
        if (_context == IntPtr.Zero)
        {
            throw new InvalidOperationException("The model was loaded vocab-only.");
        }
        LlamaNative.llama_memory_clear(LlamaNative.llama_get_memory(_context), 1);
        int n = tokens.Length;
        var ids = tokens.ToArray();
        var pos = new int[n];
        var nSeq = new int[n];
        var seq = new int[n];
        var seqPtrs = new IntPtr[n];
        var logitsFlags = new sbyte[n];
        for (int i = 0; i < n; i++)
        {
            pos[i] = i;
            nSeq[i] = 1;
            logitsFlags[i] = i >= firstOutput ? (sbyte)1 : (sbyte)0;
        }
        fixed (int* pIds = ids, pPos = pos, pNSeq = nSeq, pSeq = seq)
        fixed (IntPtr* pSeqPtrs = seqPtrs)
        fixed (sbyte* pLogits = logitsFlags)
        {
            for (int i = 0; i < n; i++)
            {
                pSeqPtrs[i] = (IntPtr)(pSeq + i);
            }
            var batch = new LlamaBatch
            {
                NTokens = n,
                Token = pIds,
                Pos = pPos,
                NSeqId = pNSeq,
                SeqId = (int**)pSeqPtrs,
                Logits = pLogits,
            };
            int rc = LlamaNative.llama_decode(_context, batch);
            if (rc != 0)
            {
                throw new InvalidOperationException($"llama_decode returned {rc}.");
            }
        }
        var result = new float[(long)(n - firstOutput) * VocabularySize];
        for (int i = firstOutput; i < n; i++)
        {
            new ReadOnlySpan<float>(LlamaNative.llama_get_logits_ith(_context, i), VocabularySize)
                .CopyTo(result.AsSpan((i - firstOutput) * VocabularySize, VocabularySize));
        }
        return result;
    }

    public void Dispose()
    {
        if (_context != IntPtr.Zero)
        {
            LlamaNative.llama_free(_context);
            _context = IntPtr.Zero;
        }
        if (_model != IntPtr.Zero)
        {
            LlamaNative.llama_model_free(_model);
            _model = IntPtr.Zero;
        }
    }
}
