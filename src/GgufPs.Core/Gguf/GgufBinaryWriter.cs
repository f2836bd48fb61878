using System.Buffers.Binary;
using System.Text;

namespace GgufPs;

/// <summary>Little-endian primitive writes onto a stream, counting the bytes written so padding can be computed.</summary>
internal sealed class GgufBinaryWriter
{
    private readonly Stream _stream;
    private readonly byte[] _scratch = new byte[8];

    public GgufBinaryWriter(Stream stream) => _stream = stream;

    public long Position { get; private set; }

    public void WriteByte(byte value)
    {
        _stream.WriteByte(value);
        Position++;
    }

    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_scratch, value);
        WriteBytes(_scratch.AsSpan(0, 2));
    }

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_scratch, value);
        WriteBytes(_scratch.AsSpan(0, 4));
    }

    public void WriteUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_scratch, value);
        WriteBytes(_scratch.AsSpan(0, 8));
    }

    public void WriteString(string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        WriteUInt64((ulong)bytes.Length);
        WriteBytes(bytes);
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        _stream.Write(bytes);
        Position += bytes.Length;
    }

    public void WriteZeros(long count)
    {
        Span<byte> zeros = stackalloc byte[256];
        zeros.Clear();
        while (count > 0)
        {
            int n = (int)Math.Min(count, zeros.Length);
            WriteBytes(zeros[..n]);
            count -= n;
        }
    }

    /// <summary>Pads with zeros to the next multiple of <paramref name="alignment"/>.</summary>
    public void Pad(long alignment) => WriteZeros(GgufLayout.Align(Position, alignment) - Position);
}
