using System.Runtime.CompilerServices;

namespace GgufPs.Inference;

/// <summary>
/// A running evaluation of a <see cref="TransformerModel"/>: its key/value cache for up to
/// <see cref="ContextLength"/> positions and the scratch space of one batch. Like a llama_context, it evaluates a
/// batch of tokens at consecutive positions after those already cached, and returns logits for the positions asked.
/// </summary>
internal sealed unsafe class InferenceContext : IDisposable
{
    private readonly TransformerModel _model;
    private readonly TransformerConfig _c;
    private readonly KeyValueCache _cache;
    private readonly int _threads;
    private int _cached;
    private float* _roundedSource;
    private int _roundedRows;
    private ActivationFormat _roundedFormat;
    private BatchBuffers? _buffers;
    private (NativeBuffer Keys, NativeBuffer Values)? _widened;
    private DecodeActivations? _decodeActivations;
    private QuantizedActivations? _quantized;
    private float* _quantizedSource;
    private WorkerTeam? _team;
    private float[][]? _scratch;
    private bool _decoding;

    public InferenceContext(TransformerModel model, int contextLength, int batchSize, int threads)
    {
        if (contextLength <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(contextLength), "The context must hold at least one position.");
        }
        _model = model;
        _c = model.Config;
        ContextLength = contextLength;
        BatchSize = Math.Clamp(batchSize, 1, contextLength);
        _threads = Math.Max(1, threads);
        _cache = new KeyValueCache(_c.LayerCount, contextLength, _c.KeyValueLength);
    }

    public int ContextLength { get; }

    public int BatchSize { get; }

    public int VocabularySize => _model.VocabularySize;

    /// <summary>Sees the input of every weight matrix product (importance matrices); null costs nothing.</summary>
    public IWeightInputObserver? WeightInputObserver { get; set; }

    /// <summary>Times each stage of the graph when set (the benchmark's profile); null costs one check per stage.</summary>
    internal InferenceProfile? Profile { get; set; }

    /// <summary>How many positions the cache holds.</summary>
    public int Position => _cached;

    /// <summary>Forgets all cached positions (llama_memory_clear).</summary>
    public void Clear() => _cached = 0;

    /// <summary>
    /// Evaluates <paramref name="tokens"/> at positions Position.. and writes the logits of tokens
    /// [<paramref name="firstOutput"/>, tokens.Length) to <paramref name="logits"/> (one row of VocabularySize each).
    /// Batches larger than <see cref="BatchSize"/> are split; the cache carries the context across them.
    /// </summary>
    public void Evaluate(ReadOnlySpan<int> tokens, int firstOutput, Span<float> logits, CancellationToken cancellation = default)
    {
        if (_cached + tokens.Length > ContextLength)
        {
            throw new InvalidOperationException($"{tokens.Length} more tokens do not fit in the context of {ContextLength} (already {_cached}).");
        }
        if (firstOutput < 0 || firstOutput > tokens.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(firstOutput));
        }
        long needed = (long)(tokens.Length - firstOutput) * VocabularySize;
        if (logits.Length < needed)
        {
            throw new ArgumentException($"The logits buffer holds {logits.Length} values; {needed} are needed.", nameof(logits));
        }
        foreach (int token in tokens)
        {
            if ((uint)token >= (uint)VocabularySize)
            {
                throw new ArgumentOutOfRangeException(nameof(tokens), $"Token {token} is outside the vocabulary.");
            }
        }
        int done = 0;
        while (done < tokens.Length)
        {
            cancellation.ThrowIfCancellationRequested();
            int count = Math.Min(BatchSize, tokens.Length - done);
            int outFrom = Math.Clamp(firstOutput - done, 0, count);
            long outOffset = (long)Math.Max(0, done - firstOutput) * VocabularySize;
            EvaluateBatch(tokens.Slice(done, count), outFrom, logits[(int)outOffset..], cancellation);
            done += count;
        }
    }

    private void EvaluateBatch(ReadOnlySpan<int> tokens, int firstOutput, Span<float> logits, CancellationToken cancellation)
    {
        int t = tokens.Length;
        int d = _c.EmbeddingLength;
        int qLen = _c.QueryLength;
        int kvLen = _c.KeyValueLength;
        int ff = _c.FeedForwardLength;
        int outputs = t - firstOutput;
        int start = _cached;
        _decoding = t == 1;
        _buffers ??= new BatchBuffers(_c, BatchSize);
        var b = _buffers;
        NativeBuffer x = b.X, xn = b.Normalized, rounded = b.Rounded, q = b.Query, k = b.Key, v = b.Value;
        NativeBuffer attention = b.Attention, projected = b.Projected, gate = b.Gate, up = b.Up;

        var clock = Tick();
        Embed(tokens, start, x.Pointer);
        Done(InferenceProfile.Embedding, clock);
        ForgetInputs();

        for (int l = 0; l < _c.LayerCount; l++)
        {
            cancellation.ThrowIfCancellationRequested();
            var layer = _model.Layers[l];
            bool last = l == _c.LayerCount - 1;
            Normalize(x.Pointer, xn.Pointer, t, layer.AttentionNorm, layer.AttentionNormBias);

            float* qp, kp, vp;
            if (layer.QueryKeyValue is { } qkv)
            {
                int width = qLen + 2 * kvLen;
                Linear(qkv, xn.Pointer, t, q.Pointer, rounded);
                AddBias(q.Pointer, t, width, layer.QueryKeyValueBias);
                for (int i = 0; i < t; i++)
                {
                    new Span<float>(q.Pointer + (long)i * width + qLen, kvLen).CopyTo(k.Span((long)i * kvLen, kvLen));
                    new Span<float>(q.Pointer + (long)i * width + qLen + kvLen, kvLen).CopyTo(v.Span((long)i * kvLen, kvLen));
                }
                for (int i = 0; i < t; i++)
                {
                    new Span<float>(q.Pointer + (long)i * width, qLen).CopyTo(q.Span((long)i * qLen, qLen));
                }
                qp = q.Pointer;
                kp = k.Pointer;
                vp = v.Pointer;
            }
            else
            {
                Linear(layer.Key!, xn.Pointer, t, k.Pointer, rounded);
                AddBias(k.Pointer, t, kvLen, layer.KeyBias);
                Linear(layer.Value!, xn.Pointer, t, v.Pointer, rounded);
                AddBias(v.Pointer, t, kvLen, layer.ValueBias);
                // The last layer needs queries only where logits are wanted.
                int qFrom = last ? firstOutput : 0;
                Linear(layer.Query!, xn.Pointer + (long)qFrom * d, t - qFrom, q.Pointer + (long)qFrom * qLen, rounded);
                AddBias(q.Pointer + (long)qFrom * qLen, t - qFrom, qLen, layer.QueryBias);
                qp = q.Pointer;
                kp = k.Pointer;
                vp = v.Pointer;
            }

            if (_c.Architecture != ModelArchitecture.Gpt2)
            {
                clock = Tick();
                ApplyRope(qp, kp, t, start, last ? firstOutput : 0);
                Done(InferenceProfile.Rope, clock);
            }
            clock = Tick();
            StoreKeyValues(l, kp, vp, t, start);
            Done(InferenceProfile.KeyValueStore, clock);

            int from = last ? firstOutput : 0;
            clock = Tick();
            Attend(l, qp, t, start, from, attention.Pointer);
            Done(InferenceProfile.Attention, clock);
            ForgetInputs();
            Linear(layer.Output, attention.Pointer + (long)from * qLen, t - from, projected.Pointer + (long)from * d, rounded);
            AddBias(projected.Pointer + (long)from * d, t - from, d, layer.OutputBias);
            Add(x.Pointer + (long)from * d, projected.Pointer + (long)from * d, (long)(t - from) * d);

            int rows = t - from;
            float* xr = x.Pointer + (long)from * d;
            Normalize(xr, xn.Pointer, rows, layer.FeedForwardNorm, layer.FeedForwardNormBias);
            if (layer.Gate is { } gateWeights)
            {
                Linear(gateWeights, xn.Pointer, rows, gate.Pointer, rounded);
                AddBias(gate.Pointer, rows, ff, layer.GateBias);
                Linear(layer.Up, xn.Pointer, rows, up.Pointer, rounded);
                AddBias(up.Pointer, rows, ff, layer.UpBias);
                clock = Tick();
                For(rows, r => GgmlExp.SwiGlu(gate.Pointer + (long)r * ff, up.Pointer + (long)r * ff, ff));
                Done(InferenceProfile.GatedActivation, clock);
                ForgetInputs();
            }
            else
            {
                Linear(layer.Up, xn.Pointer, rows, gate.Pointer, rounded);
                AddBias(gate.Pointer, rows, ff, layer.UpBias);
                clock = Tick();
                ParallelRows(rows, ff, (a, b) => GeluTable.Apply(gate.Pointer + a, b - a));
                Done(InferenceProfile.GatedActivation, clock);
                ForgetInputs();
            }
            Linear(layer.Down, gate.Pointer, rows, projected.Pointer, rounded);
            AddBias(projected.Pointer, rows, d, layer.DownBias);
            Add(xr, projected.Pointer, (long)rows * d);
        }

        _cached += t;
        if (outputs == 0)
        {
            return;
        }
        float* xo = x.Pointer + (long)firstOutput * d;
        Normalize(xo, xn.Pointer, outputs, _model.OutputNorm, _model.OutputNormBias);
        fixed (float* lp = logits)
        {
            Linear(_model.Output, xn.Pointer, outputs, lp, rounded);
        }
    }

    private void Embed(ReadOnlySpan<int> tokens, int start, float* x)
    {
        int d = _c.EmbeddingLength;
        int[] ids = tokens.ToArray();
        For(ids.Length, i =>
        {
            var row = new Span<float>(x + (long)i * d, d);
            _model.TokenEmbedding.DecodeRow(ids[i], 0, row);
            if (_model.PositionEmbedding is { } positions)
            {
                int position = start + i;
                if (position >= positions.Rows)
                {
                    throw new InvalidOperationException($"Position {position} is beyond the model's {positions.Rows} learned positions.");
                }
                float* pos = stackalloc float[d];
                positions.DecodeRow(position, 0, new Span<float>(pos, d));
                ElementwiseMath.Add(x + (long)i * d, pos, d);
            }
        });
    }

    private void Normalize(float* x, float* y, int rows, float[] weight, float[]? bias)
    {
        var clock = Tick();
        ForgetInputs();
        int d = _c.EmbeddingLength;
        float eps = _c.NormEpsilon;
        bool layerNorm = _c.Architecture == ModelArchitecture.Gpt2;
        For(rows, i =>
        {
            if (layerNorm)
            {
                TransformerOps.LayerNorm(x + (long)i * d, y + (long)i * d, d, weight, bias, eps);
            }
            else
            {
                TransformerOps.RmsNorm(x + (long)i * d, y + (long)i * d, d, weight, eps);
            }
        });
        Done(InferenceProfile.Norm, clock);
    }

    /// <summary>
    /// y = x·Wᵀ with x rounded or quantized as ggml does for W's type. Consecutive products of the same input in
    /// the same format (Q, K and V; gate and up) round or quantize it once: the copy is remembered until the input changes.
    /// A single token goes through the batch-1 kernels (<see cref="Gemv"/>) on the context's worker team.
    /// </summary>
    private void Linear(WeightMatrix w, float* x, int rows, float* y, NativeBuffer rounded)
    {
        if (rows == 0)
        {
            return;
        }
        WeightInputObserver?.Observe(w.Name, new ReadOnlySpan<float>(x, checked(rows * w.Columns)), rows);
        var clock = Tick();
        if (rows == 1 && Gemv.Handles(w))
        {
            float* source = w.Type == GgmlType.F16 ? Rounded(w, x, rows, rounded, ref clock) : x;
            _decodeActivations ??= new DecodeActivations(Math.Max(Math.Max(_c.EmbeddingLength, _c.QueryLength), _c.FeedForwardLength));
            Gemv.Multiply(w, source, y, _decodeActivations, Team);
            Done(w.ProfileStage, clock);
            return;
        }
        if (Int8Gemm.Handles(w.Type))
        {
            Int8Gemm.Multiply(w, Quantized(w, x, rows, ref clock), y, w.Rows, _threads);
            Done(w.ProfileStage, clock);
            return;
        }
        float* input = w.ActivationFormat != ActivationFormat.F32 ? Rounded(w, x, rows, rounded, ref clock) : x;
        FloatGemm.Multiply(w, input, rows, y, w.Rows, _threads);
        Done(w.ProfileStage, clock);
    }

    /// <summary>x rounded to W's activation format in <paramref name="rounded"/>, unless it already is.</summary>
    private float* Rounded(WeightMatrix w, float* x, int rows, NativeBuffer rounded, ref (long, long) clock)
    {
        int n = w.Columns;
        if (_roundedSource != x || _roundedRows != rows || _roundedFormat != w.ActivationFormat)
        {
            ParallelRows(rows, n, (a, b) => ActivationRounding.Round(w.ActivationFormat,
                new ReadOnlySpan<float>(x + a, (int)(b - a)), new Span<float>(rounded.Pointer + a, (int)(b - a)), n));
            _roundedSource = x;
            _roundedRows = rows;
            _roundedFormat = w.ActivationFormat;
            Done(InferenceProfile.RoundActivations, clock);
            clock = Tick();
        }
        return rounded.Pointer;
    }

    /// <summary>x quantized as the integer kernels take it for W's type, unless the last quantized copy already is.</summary>
    private QuantizedActivations Quantized(WeightMatrix w, float* x, int rows, ref (long, long) clock)
    {
        if (_quantized is null || _quantizedSource != x || _quantized.QuantizedTokens != rows || !Int8Gemm.Shares(_quantized, w))
        {
            ForgetQuantized();
            _quantized = Int8Gemm.Quantize(w, x, rows, _threads);
            _quantizedSource = x;
            Done(InferenceProfile.QuantizeActivations, clock);
            clock = Tick();
        }
        return _quantized;
    }

    private void ForgetQuantized()
    {
        _quantized?.Dispose();
        _quantized = null;
        _quantizedSource = null;
    }

    /// <summary>Forgets the rounded and quantized copies of the last input: its values are about to change.</summary>
    private void ForgetInputs()
    {
        _roundedSource = null;
        ForgetQuantized();
        _decodeActivations?.Forget();
    }

    private void AddBias(float* rows, int count, int n, float[]? bias)
    {
        if (bias is null)
        {
            return;
        }
        var clock = Tick();
        TransformerOps.AddBias(rows, count, n, bias);
        Done(InferenceProfile.Bias, clock);
    }

    private (long, long) Tick() => Profile?.Start() ?? default;

    private void Done(string stage, (long, long) start) => Profile?.Add(stage, start);

    private void ApplyRope(float* q, float* k, int t, int start, int qFrom)
    {
        int hd = _c.HeadDimension;
        int dims = _c.RopeDimensions;
        bool neox = _c.Architecture == ModelArchitecture.Qwen2;
        int heads = _c.HeadCount;
        int kvHeads = _c.KeyValueHeadCount;
        For(t, i =>
        {
            Span<float> cache = stackalloc float[dims];
            TransformerOps.RopeCache(start + i, dims, _c.RopeFrequencyBase, _c.RopeFrequencyScale, _model.RopeFrequencyFactors, cache);
            if (i >= qFrom)
            {
                for (int h = 0; h < heads; h++)
                {
                    TransformerOps.ApplyRope(q + (long)i * heads * hd + h * hd, dims, cache, neox);
                }
            }
            for (int h = 0; h < kvHeads; h++)
            {
                TransformerOps.ApplyRope(k + (long)i * kvHeads * hd + h * hd, dims, cache, neox);
            }
        });
    }

    /// <summary>Keys and values go to the cache as F16, the cache type llama.cpp uses.</summary>
    private void StoreKeyValues(int layer, float* k, float* v, int t, int start) => _cache.Store(layer, k, v, t, start);

    /// <summary>
    /// The layer's cached keys and values of positions [0, visible) widened to floats (exactly), once per batch, so
    /// that every head's dot products run on floats as before.
    /// </summary>
    private void WidenKeyValues(int layer, int visible, out float* keys, out float* values)
    {
        int kvLen = _c.KeyValueLength;
        _widened ??= (new NativeBuffer((long)ContextLength * kvLen), new NativeBuffer((long)ContextLength * kvLen));
        keys = _widened.Value.Keys.Pointer;
        values = _widened.Value.Values.Pointer;
        ushort* hk = _cache.Keys(layer), hv = _cache.Values(layer);
        float* fk = keys, fv = values;
        ParallelRows(visible, kvLen, (a, b) =>
        {
            HalfVectors.ToSingle(hk + a, fk + a, (int)(b - a));
            HalfVectors.ToSingle(hv + a, fv + a, (int)(b - a));
        });
    }

    /// <summary>
    /// Causal attention for queries [from, t) of the batch over all cached positions, as llama.cpp without flash
    /// attention: F16 queries against F16 keys, softmax of the scaled scores, F16 weights against F16 values.
    /// </summary>
    private void Attend(int layer, float* q, int t, int start, int from, float* output)
    {
        int hd = _c.HeadDimension;
        int heads = _c.HeadCount;
        WidenKeyValues(layer, start + t, out float* keys, out float* values);
        int work = (t - from) * heads;
        int capacity = (start + t + 15) / 16 * 16;
        if (_decoding)
        {
            var scratch = WorkerScratch(capacity + hd);
            Team.Run(work, (item, worker) =>
            {
                fixed (float* s = scratch[worker])
                {
                    AttendHead(item, q, start, from, keys, values, capacity, s, output);
                }
            });
            return;
        }
        Parallel.For(0, work, new ParallelOptions { MaxDegreeOfParallelism = _threads }, () => new float[capacity + hd], (item, _, scratch) =>
        {
            fixed (float* s = scratch)
            {
                AttendHead(item, q, start, from, keys, values, capacity, s, output);
            }
            return scratch;
        }, _ => { });
    }

    /// <summary>One query head of one token: scores, softmax and the weighted sum of values, in <paramref name="s"/>'s scratch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AttendHead(int item, float* q, int start, int from, float* keys, float* values, int capacity, float* s, float* output)
    {
        int hd = _c.HeadDimension;
        int heads = _c.HeadCount;
        int group = heads / _c.KeyValueHeadCount;
        int kvLen = _c.KeyValueLength;
        int qLen = _c.QueryLength;
        float scale = 1.0f / MathF.Sqrt(hd);
        int i = from + item / heads;
        int h = item % heads;
        int kvHead = h / group;
        int visible = start + i + 1;
        float* scores = s;
        float* query = s + capacity;
        HalfRounding.Round(q + (long)i * qLen + h * hd, query, hd);
        GgmlDot.ScaledDots(query, keys + kvHead * hd, kvLen, visible, hd, scale, scores);
        float max = ElementwiseMath.Max(scores, visible);
        double sum = GgmlExp.SoftmaxExp(scores, visible, max, scores);
        ElementwiseMath.Scale(scores, visible, (float)(1.0 / sum));
        HalfRounding.Round(scores, scores, visible);
        GgmlDot.WeightedSum(scores, visible, values + kvHead * hd, kvLen, hd, output + (long)i * qLen + h * hd);
    }

    /// <summary>A float array of at least <paramref name="length"/> for each worker of the team, kept across calls.</summary>
    private float[][] WorkerScratch(int length)
    {
        _scratch ??= new float[Team.Size][];
        for (int w = 0; w < _scratch.Length; w++)
        {
            if (_scratch[w] is null || _scratch[w].Length < length)
            {
                _scratch[w] = new float[Math.Max(length, 2 * (_scratch[w]?.Length ?? 0))];
            }
        }
        return _scratch;
    }

    private WorkerTeam Team => _team ??= new WorkerTeam(_threads);

    /// <summary>
    /// body(i) for i in [0, count) on the threads: the context's worker team while a single token is decoded (its
    /// many small loops would spend more on thread-pool dispatch than on work), Parallel.For for batches.
    /// </summary>
    private void For(int count, Action<int> body)
    {
        if (_decoding)
        {
            Team.Run(count, (i, _) => body(i));
        }
        else
        {
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = _threads }, body);
        }
    }

    private void Add(float* x, float* y, long n)
    {
        var clock = Tick();
        ElementwiseMath.Add(x, y, n);
        Done(InferenceProfile.Residual, clock);
    }

    private void ParallelRows(int rows, int width, Action<long, long> body)
    {
        int parts = Math.Max(1, Math.Min(_threads, rows));
        For(parts, p =>
        {
            long a = (long)rows * p / parts * width;
            long b = (long)rows * (p + 1) / parts * width;
            body(a, b);
        });
    }

    public void Dispose()
    {
        _buffers?.Dispose();
        _cache.Dispose();
        _decodeActivations?.Dispose();
        ForgetQuantized();
        _team?.Dispose();
        _widened?.Keys.Dispose();
        _widened?.Values.Dispose();
    }
}
