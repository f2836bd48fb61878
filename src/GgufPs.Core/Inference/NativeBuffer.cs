using System.Runtime.InteropServices;

namespace GgufPs.Inference;

/// <summary>A 64-byte aligned float buffer outside the managed heap, for kernels that work with pointers.</summary>
internal sealed unsafe class NativeBuffer : IDisposable
{
    private float* _data;

    public NativeBuffer(long length)
    {
        Length = Math.Max(length, 1);
        _data = (float*)NativeMemory.AlignedAlloc((nuint)(Length * sizeof(float)), 64);
    }

    public long Length { get; }

    public float* Pointer => _data != null ? _data : throw new ObjectDisposedException(nameof(NativeBuffer));

    public Span<float> Span(long start, int length) => new(Pointer + start, length);

    public void Clear() => NativeMemory.Clear(_data, (nuint)(Length * sizeof(float)));

    public void Dispose()
    {
        if (_data != null)
        {
            NativeMemory.AlignedFree(_data);
            _data = null;
        }
    }
}
