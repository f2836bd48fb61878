using System.Runtime.CompilerServices;
using GgufPs.Inference;

namespace GgufPs.Evaluation;

/// <summary>The log-softmax arithmetic of llama-perplexity, kept in its order of float and double operations.</summary>
internal static class TokenLogProbabilities
{
    /// <summary>-log p(token) as perplexity()'s log_softmax: max, Σ expf(l − max) in double, then l − max − log(sum).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe double NegativeLogLikelihood(ReadOnlySpan<float> logits, int token)
    {
        float max;
        fixed (float* l = logits)
        {
            max = ElementwiseMath.Max(l, logits.Length);
        }
        double sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            sum += MathF.Exp(logits[i] - max);
        }
        return -((logits[token] - max) - Math.Log(sum));
    }

    /// <summary>Row length of the quantized log-probabilities in llama.cpp's logits file: 4 for scale and minimum, then the vocabulary, even.</summary>
    public static int QuantizedRowLength(int vocabulary) => 2 * ((vocabulary + 1) / 2) + 4;

    /// <summary>
    /// Writes one row of llama.cpp's --kl-divergence-base file (log_softmax with uint16 output): log-probabilities
    /// within 16 of the maximum, scaled to 0..65535. Returns -log p(token) as llama.cpp computes it there.
    /// </summary>
    public static double Quantize(ReadOnlySpan<float> logits, Span<ushort> row, int token)
    {
        float max = logits[0], min = logits[0];
        for (int i = 1; i < logits.Length; i++)
        {
            max = Math.Max(max, logits[i]);
            min = Math.Min(min, logits[i]);
        }
        min = Math.Max(min, max - 16);
        double sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            sum += MathF.Exp(logits[i] - max);
        }
        float logSumExp = (float)Math.Log(sum);
        float minLogProb = min - max - logSumExp;
        float scale = (max - min) / 65535f;
        WriteFloat(row, 0, scale);
        WriteFloat(row, 2, minLogProb);
        var values = row[4..];
        if (scale != 0)
        {
            float inverse = 1 / scale;
            for (int i = 0; i < logits.Length; i++)
            {
                values[i] = logits[i] > min ? (ushort)NearestInt(inverse * (logits[i] - min)) : (ushort)0;
            }
        }
        else
        {
            values[..logits.Length].Clear();
        }
        return max + logSumExp - logits[token];
    }

    public static float ReadFloat(ReadOnlySpan<ushort> row, int index) =>
        BitConverter.UInt32BitsToSingle(row[index] | ((uint)row[index + 1] << 16));

    private static void WriteFloat(Span<ushort> row, int index, float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        row[index] = (ushort)bits;
        row[index + 1] = (ushort)(bits >> 16);
    }

    /// <summary>ggml's nearest_int: round half to even through the float magic number.</summary>
    private static int NearestInt(float value)
    {
        float v = value + 12582912.0f;
        int i = BitConverter.SingleToInt32Bits(v);
        return (i & 0x007fffff) - 0x00400000;
    }
}
