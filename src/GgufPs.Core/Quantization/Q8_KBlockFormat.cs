using System.Runtime.CompilerServices;
using System.Buffers.Binary;
using static GgufPs.Quantization.QuantizerMath;

namespace GgufPs.Quantization;

/// <summary>
/// Q8_K: the activation format for K-quant and IQ dot products: an F32 scale, 256 signed bytes and 16 sums of 16
/// (292 bytes: d, qs[256], bsums[16]). ggml-cpu's x86 quantize_row_q8_K is this same reference quantizer.
/// </summary>
internal sealed class Q8_KBlockFormat : BlockFormat
{
    private const int Qk = 256;
    private const int Bytes = 292;
    private const int QuantsOffset = 4;
    private const int SumsOffset = 260;

    internal Q8_KBlockFormat() : base(GgmlType.Q8_K, GgmlType.Q8_K)
    {
    }

    public override bool IsTensorFormat => false;

    /// <summary>What llama.cpp's CPU backend does to activations before a K-quant or IQ dot product (quantize_row_q8_K).</summary>
    public static void QuantizeActivations(ReadOnlySpan<float> source, Span<byte> destination)
    {
        if (source.Length % Qk != 0 || destination.Length < source.Length / Qk * Bytes)
        {
            throw new ArgumentException($"Q8_K activations need a multiple of {Qk} values and {Bytes} bytes per block.");
        }
        QuantizeReference(source, destination);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void QuantizeRow(ReadOnlySpan<float> row, Span<byte> destination, ReadOnlySpan<float> importance) =>
        QuantizeReference(row, destination);

    // quantize_row_q8_K_ref. ggml leaves bsums untouched for an all-zero block; they are written as zeros here.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void QuantizeReference(ReadOnlySpan<float> row, Span<byte> destination)
    {
        for (int i = 0; i < row.Length / Qk; i++)
        {
            var x = row.Slice(i * Qk, Qk);
            var y = destination.Slice(i * Bytes, Bytes);
            float max = 0;
            float amax = 0;
            for (int j = 0; j < Qk; j++)
            {
                float ax = MathF.Abs(x[j]);
                if (ax > amax)
                {
                    amax = ax;
                    max = x[j];
                }
            }
            if (amax == 0)
            {
                y.Clear();
                continue;
            }
            float iscale = -127.0f / max;
            for (int j = 0; j < Qk; j++)
            {
                int v = NearestInt(iscale * x[j]);
                y[QuantsOffset + j] = (byte)(sbyte)Math.Min(127, v);
            }
            for (int j = 0; j < Qk / 16; j++)
            {
                int sum = 0;
                for (int ii = 0; ii < 16; ii++)
                {
                    sum += (sbyte)y[QuantsOffset + j * 16 + ii];
                }
                BinaryPrimitives.WriteInt16LittleEndian(y[(SumsOffset + 2 * j)..], (short)sum);
            }
            BinaryPrimitives.WriteSingleLittleEndian(y, 1 / iscale);
        }
    }

    private protected override void DequantizeBlocks(ReadOnlySpan<byte> source, Span<float> destination)
    {
        for (int i = 0; i < destination.Length / Qk; i++)
        {
            var x = source.Slice(i * Bytes, Bytes);
            float d = BinaryPrimitives.ReadSingleLittleEndian(x);
            var y = destination.Slice(i * Qk, Qk);
            for (int j = 0; j < Qk; j++)
            {
                y[j] = d * (sbyte)x[QuantsOffset + j];
            }
        }
    }
}
