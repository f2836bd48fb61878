namespace GgufPs.Tests.Conversion;

/// <summary>
/// The Hugging Face Llama/Qwen2 forward pass written out in double precision from the original weights: RMSNorm,
/// rotate-half RoPE, grouped-query causal attention (with optional Q/K/V biases), SwiGLU, a final norm and the LM head.
/// Gemma mode scales the embeddings by sqrt(hidden), multiplies norms by (1 + weight) and gates with tanh-GELU;
/// Gemma 2 adds post-attention and post-feed-forward norms and soft-caps the attention scores and the logits.
/// </summary>
internal sealed class ReferenceTransformer
{
    private readonly Func<string, float[]> _w;

    public ReferenceTransformer(Func<string, float[]> weights, int hidden, int intermediate, int layers, int heads, int kvHeads, int vocab,
        double ropeTheta, double rmsEps, bool qkvBias, bool tiedEmbeddings, int headDim = 0, bool gemma = false,
        double attentionSoftcap = 0, double finalSoftcap = 0)
    {
        AttentionSoftcap = attentionSoftcap;
        FinalSoftcap = finalSoftcap;
        HeadDim = headDim == 0 ? hidden / heads : headDim;
        Gemma = gemma;
        _w = weights;
        Hidden = hidden;
        Intermediate = intermediate;
        Layers = layers;
        Heads = heads;
        KvHeads = kvHeads;
        Vocab = vocab;
        RopeTheta = ropeTheta;
        RmsEps = rmsEps;
        QkvBias = qkvBias;
        TiedEmbeddings = tiedEmbeddings;
    }

    public int Hidden { get; }
    public int Intermediate { get; }
    public int Layers { get; }
    public int Heads { get; }
    public int KvHeads { get; }
    public int Vocab { get; }
    public double RopeTheta { get; }
    public double RmsEps { get; }
    public bool QkvBias { get; }
    public bool TiedEmbeddings { get; }
    public int HeadDim { get; }
    public bool Gemma { get; }
    public double AttentionSoftcap { get; }
    public double FinalSoftcap { get; }
    private bool Gemma2 => AttentionSoftcap > 0;

    /// <summary>Logits of the last position.</summary>
    public double[] LastLogits(int[] tokens)
    {
        int n = tokens.Length, headDim = HeadDim, qDim = Heads * headDim, kvDim = KvHeads * headDim;
        var embed = _w("model.embed_tokens.weight");
        var x = new double[n][];
        for (int t = 0; t < n; t++)
        {
            double scale = Gemma ? Math.Sqrt(Hidden) : 1;
            x[t] = Enumerable.Range(0, Hidden).Select(i => embed[tokens[t] * Hidden + i] * scale).ToArray();
        }
        for (int l = 0; l < Layers; l++)
        {
            string p = $"model.layers.{l}.";
            var q = new double[n][];
            var k = new double[n][];
            var v = new double[n][];
            for (int t = 0; t < n; t++)
            {
                var h = RmsNorm(x[t], _w(p + "input_layernorm.weight"));
                q[t] = Linear(_w(p + "self_attn.q_proj.weight"), h, qDim, QkvBias ? _w(p + "self_attn.q_proj.bias") : null);
                k[t] = Linear(_w(p + "self_attn.k_proj.weight"), h, kvDim, QkvBias ? _w(p + "self_attn.k_proj.bias") : null);
                v[t] = Linear(_w(p + "self_attn.v_proj.weight"), h, kvDim, QkvBias ? _w(p + "self_attn.v_proj.bias") : null);
                Rope(q[t], Heads, headDim, t);
                Rope(k[t], KvHeads, headDim, t);
            }
            for (int t = 0; t < n; t++)
            {
                var attention = new double[qDim];
                for (int head = 0; head < Heads; head++)
                {
                    int kvHead = head / (Heads / KvHeads);
                    var scores = new double[t + 1];
                    for (int s = 0; s <= t; s++)
                    {
                        double dot = 0;
                        for (int d = 0; d < headDim; d++)
                        {
                            dot += q[t][head * headDim + d] * k[s][kvHead * headDim + d];
                        }
                        scores[s] = dot / Math.Sqrt(headDim);
                        if (AttentionSoftcap > 0)
                        {
                            scores[s] = Math.Tanh(scores[s] / AttentionSoftcap) * AttentionSoftcap;
                        }
                    }
                    double max = scores.Max();
                    double sum = scores.Sum(s => Math.Exp(s - max));
                    for (int s = 0; s <= t; s++)
                    {
                        double weight = Math.Exp(scores[s] - max) / sum;
                        for (int d = 0; d < headDim; d++)
                        {
                            attention[head * headDim + d] += weight * v[s][kvHead * headDim + d];
                        }
                    }
                }
                var o = Linear(_w(p + "self_attn.o_proj.weight"), attention, Hidden, null);
                if (Gemma2)
                {
                    o = RmsNorm(o, _w(p + "post_attention_layernorm.weight"));
                }
                for (int i = 0; i < Hidden; i++)
                {
                    x[t][i] += o[i];
                }
                var h2 = RmsNorm(x[t], _w(p + (Gemma2 ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight")));
                var gate = Linear(_w(p + "mlp.gate_proj.weight"), h2, Intermediate, null);
                var up = Linear(_w(p + "mlp.up_proj.weight"), h2, Intermediate, null);
                var act = gate.Select((g, i) => (Gemma ? GeluTanh(g) : g / (1 + Math.Exp(-g))) * up[i]).ToArray();
                var down = Linear(_w(p + "mlp.down_proj.weight"), act, Hidden, null);
                if (Gemma2)
                {
                    down = RmsNorm(down, _w(p + "post_feedforward_layernorm.weight"));
                }
                for (int i = 0; i < Hidden; i++)
                {
                    x[t][i] += down[i];
                }
            }
        }
        var final = RmsNorm(x[n - 1], _w("model.norm.weight"));
        var logits = Linear(TiedEmbeddings ? embed : _w("lm_head.weight"), final, Vocab, null);
        return FinalSoftcap > 0 ? logits.Select(l => Math.Tanh(l / FinalSoftcap) * FinalSoftcap).ToArray() : logits;
    }

    private double[] RmsNorm(double[] x, float[] weight)
    {
        double mean = x.Sum(v => v * v) / x.Length;
        double scale = 1 / Math.Sqrt(mean + RmsEps);
        return x.Select((v, i) => v * scale * (Gemma ? 1.0 + weight[i] : weight[i])).ToArray();
    }

    private static double GeluTanh(double x) => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

    private static double[] Linear(float[] w, double[] x, int rows, float[]? bias)
    {
        var y = new double[rows];
        int cols = x.Length;
        for (int r = 0; r < rows; r++)
        {
            double sum = bias?[r] ?? 0;
            for (int c = 0; c < cols; c++)
            {
                sum += w[(long)r * cols + c] * x[c];
            }
            y[r] = sum;
        }
        return y;
    }

    // Hugging Face's rotate_half: dimension i pairs with i + headDim/2.
    private void Rope(double[] v, int heads, int headDim, int position)
    {
        int half = headDim / 2;
        for (int h = 0; h < heads; h++)
        {
            for (int i = 0; i < half; i++)
            {
                double angle = position * Math.Pow(RopeTheta, -2.0 * i / headDim);
                double a = v[h * headDim + i], b = v[h * headDim + i + half];
                v[h * headDim + i] = a * Math.Cos(angle) - b * Math.Sin(angle);
                v[h * headDim + i + half] = b * Math.Cos(angle) + a * Math.Sin(angle);
            }
        }
    }
}
