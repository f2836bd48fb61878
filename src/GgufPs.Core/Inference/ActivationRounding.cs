using System.Numerics.Tensors;
using GgufPs.Quantization;

namespace GgufPs.Inference;

/// <summary>Rounds activation rows to what ggml's dot products see for a weight type (see <see cref="ActivationFormat"/>).</summary>
internal static class ActivationRounding
{
    /// <summary>Writes the rounded copy of <paramref name="source"/> (whole rows of <paramref name="columns"/>) to <paramref name="destination"/>.</summary>
    public static void Round(ActivationFormat format, ReadOnlySpan<float> source, Span<float> destination, int columns)
    {
        switch (format)
        {
            case ActivationFormat.F32:
                source.CopyTo(destination);
                break;
            case ActivationFormat.F16:
                RoundToHalf(source, destination);
                break;
            case ActivationFormat.BF16:
                for (int i = 0; i < source.Length; i++)
                {
                    uint bits = BitConverter.SingleToUInt32Bits(source[i]);
                    destination[i] = BitConverter.UInt32BitsToSingle((uint)HalfPrecisionConverter.ToBF16(bits) << 16);
                }
                break;
            default:
                throw new NotSupportedException($"Activations in {format} are not supported yet.");
        }
    }

    public static void RoundToHalf(ReadOnlySpan<float> source, Span<float> destination)
    {
        const int Chunk = 1024;
        Span<Half> halves = stackalloc Half[Chunk];
        for (int i = 0; i < source.Length; i += Chunk)
        {
            int n = Math.Min(Chunk, source.Length - i);
            TensorPrimitives.ConvertToHalf(source.Slice(i, n), halves[..n]);
            TensorPrimitives.ConvertToSingle(halves[..n], destination.Slice(i, n));
        }
    }
}
