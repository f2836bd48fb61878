using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace GgufPs.Inference;

/// <summary>
/// The keys and values of every cached position, each layer's as rows of <see cref="Width"/> F16 values: llama.cpp's
/// default cache type, half the memory of floats. Pages are committed as positions are first written, so a short
/// conversation in a long context stays small.
/// </summary>
internal sealed unsafe class KeyValueCache : IDisposable
{
    private readonly IntPtr[] _keys;
    private readonly IntPtr[] _values;

    public KeyValueCache(int layers, int positions, int width)
    {
        Positions = positions;
        Width = width;
        _keys = new IntPtr[layers];
        _values = new IntPtr[layers];
        nuint bytes = (nuint)((long)positions * width * sizeof(ushort));
        for (int l = 0; l < layers; l++)
        {
            _keys[l] = (IntPtr)NativeMemory.AlignedAlloc(bytes, 64);
            _values[l] = (IntPtr)NativeMemory.AlignedAlloc(bytes, 64);
        }
    }

    public int Positions { get; }

    /// <summary>Values a position holds per layer, for keys and again for values: KV heads × head dimension.</summary>
    public int Width { get; }

    /// <summary>The bytes an F16 cache of these dimensions takes: K and V, every layer.</summary>
    public static long BytesFor(int layers, int positions, int width) => 2L * layers * positions * width * sizeof(ushort);

    public ushort* Keys(int layer) => (ushort*)_keys[layer];

    public ushort* Values(int layer) => (ushort*)_values[layer];

    /// <summary>Writes <paramref name="rows"/> positions from <paramref name="start"/>, each rounded to nearest even F16.</summary>
    public void Store(int layer, float* keys, float* values, int rows, int start)
    {
        long offset = (long)start * Width;
        int n = rows * Width;
        TensorPrimitives.ConvertToHalf(new ReadOnlySpan<float>(keys, n), new Span<Half>(Keys(layer) + offset, n));
        TensorPrimitives.ConvertToHalf(new ReadOnlySpan<float>(values, n), new Span<Half>(Values(layer) + offset, n));
    }

    public void Dispose()
    {
        for (int l = 0; l < _keys.Length; l++)
        {
            NativeMemory.AlignedFree((void*)_keys[l]);
            NativeMemory.AlignedFree((void*)_values[l]);
            _keys[l] = IntPtr.Zero;
            _values[l] = IntPtr.Zero;
        }
    }
}
