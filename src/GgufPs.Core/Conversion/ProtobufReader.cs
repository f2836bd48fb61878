using System.Buffers.Binary;

namespace GgufPs.Conversion;

/// <summary>
/// Reads the protobuf wire format field by field, checking every length against the buffer, so a corrupt message
/// ends in <see cref="InvalidDataException"/> rather than a huge allocation or an out-of-range read.
/// </summary>
internal ref struct ProtobufReader
{
    public const int WireVarint = 0;
    public const int WireFixed64 = 1;
    public const int WireLengthDelimited = 2;
    public const int WireFixed32 = 5;

    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    public ProtobufReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    public readonly bool AtEnd => _position >= _buffer.Length;

    /// <summary>Reads the next field's number and wire type.</summary>
    public (int Field, int WireType) ReadTag()
    {
        ulong tag = ReadVarint();
        int field = (int)(tag >> 3);
        if (field <= 0 || tag >> 3 > int.MaxValue)
        {
            throw new InvalidDataException($"Invalid protobuf field number at byte {_position}.");
        }
        return (field, (int)(tag & 7));
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _buffer.Length)
            {
                throw new InvalidDataException("A protobuf varint runs past the end of the data.");
            }
            byte b = _buffer[_position++];
            result |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }
        throw new InvalidDataException($"A protobuf varint at byte {_position} is longer than 10 bytes.");
    }

    public float ReadFloat() => BitConverter.Int32BitsToSingle((int)ReadFixed32());

    public uint ReadFixed32()
    {
        if (_buffer.Length - _position < 4)
        {
            throw new InvalidDataException("A protobuf fixed32 runs past the end of the data.");
        }
        uint v = BinaryPrimitives.ReadUInt32LittleEndian(_buffer[_position..]);
        _position += 4;
        return v;
    }

    public ReadOnlySpan<byte> ReadBytes()
    {
        ulong length = ReadVarint();
        if (length > (ulong)(_buffer.Length - _position))
        {
            throw new InvalidDataException($"A protobuf field of {length} bytes at byte {_position} runs past the end of the data.");
        }
        var bytes = _buffer.Slice(_position, (int)length);
        _position += (int)length;
        return bytes;
    }

    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case WireVarint:
                ReadVarint();
                break;
            case WireFixed64:
                if (_buffer.Length - _position < 8)
                {
                    throw new InvalidDataException("A protobuf fixed64 runs past the end of the data.");
                }
                _position += 8;
                break;
            case WireLengthDelimited:
                ReadBytes();
                break;
            case WireFixed32:
                ReadFixed32();
                break;
            default:
                throw new InvalidDataException($"Unsupported protobuf wire type {wireType} at byte {_position}.");
        }
    }
}
