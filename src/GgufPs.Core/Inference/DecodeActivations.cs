using System.Runtime.InteropServices;

namespace GgufPs.Inference;

/// <summary>
/// One token's activations quantized for the batch-1 kernels, as <see cref="QuantizedActivations"/> quantizes a row
/// (the same bytes and scales): Q8_K for the K-quants with the sums and scaled sums of each group of 16 or 32, or Q8_0
/// with each block's sum and Q8_1 sum. The
/// buffers are kept for the context's life, and consecutive products of the same input in the same format (Q, K
/// and V; gate and up) quantize it once.
/// </summary>
internal sealed unsafe class DecodeActivations : IDisposable
{
    private readonly int _capacity;
    private float* _source;
    private int _columns;
    private bool _kQuant;
    private int _groupSize;

    public DecodeActivations(int maxColumns)
    {
        _capacity = (maxColumns + 255) / 256 * 256;
        Values = (sbyte*)NativeMemory.AlignedAlloc((nuint)_capacity, 64);
        Scales = (float*)NativeMemory.AlignedAlloc((nuint)(_capacity / 32 * sizeof(float)), 64);
        ScaledSums = (float*)NativeMemory.AlignedAlloc((nuint)(_capacity / 16 * sizeof(float)), 64);
        Sums = (int*)NativeMemory.AlignedAlloc((nuint)(_capacity / 16 * sizeof(int)), 64);
        BlockSums = (float*)NativeMemory.AlignedAlloc((nuint)(_capacity / 32 * sizeof(float)), 64);
    }

    /// <summary>The int8 values.</summary>
    public sbyte* Values { get; }

    /// <summary>The scale of each block (of 256 for Q8_K, 32 for Q8_0).</summary>
    public float* Scales { get; }

    /// <summary>Each group's sum of values times its block's scale (Q8_K only).</summary>
    public float* ScaledSums { get; }

    /// <summary>Each group's sum of values (each block's for Q8_0), which a bias multiplies.</summary>
    public int* Sums { get; }

    /// <summary>Q8_0 only: each block's Q8_1 sum F16(d·Σq), which the minimum of Q4_1 and Q5_1 multiplies.</summary>
    public float* BlockSums { get; }

    /// <summary>Forgets the remembered input: its values are about to change.</summary>
    public void Forget() => _source = null;

    /// <summary>Quantizes <paramref name="columns"/> values of x unless they are the ones quantized last in this form.</summary>
    public void Quantize(float* x, int columns, bool kQuant, int groupSize)
    {
        if (columns > _capacity)
        {
            throw new ArgumentOutOfRangeException(nameof(columns));
        }
        if (_source == x && _columns == columns && _kQuant == kQuant && (!kQuant || _groupSize == groupSize))
        {
            return;
        }
        if (kQuant)
        {
            int groupsPerBlock = 256 / groupSize;
            for (int b = 0; b < columns / 256; b++)
            {
                sbyte* q = Values + b * 256;
                QuantizedActivations.QuantizeQ8K(x + b * 256, q, out float d);
                Scales[b] = d;
                for (int g = 0; g < groupsPerBlock; g++)
                {
                    int sum = QuantizedActivations.Sum(q + g * groupSize, groupSize);
                    Sums[b * groupsPerBlock + g] = sum;
                    ScaledSums[b * groupsPerBlock + g] = d * sum;
                }
            }
        }
        else
        {
            for (int b = 0; b < columns / 32; b++)
            {
                sbyte* q = Values + b * 32;
                QuantizedActivations.QuantizeQ8_0(x + b * 32, q, out Scales[b], out BlockSums[b]);
                Sums[b] = QuantizedActivations.Sum(q, 32);
            }
        }
        _source = x;
        _columns = columns;
        _kQuant = kQuant;
        _groupSize = groupSize;
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(Values);
        NativeMemory.AlignedFree(Scales);
        NativeMemory.AlignedFree(ScaledSums);
        NativeMemory.AlignedFree(Sums);
        NativeMemory.AlignedFree(BlockSums);
    }
}
