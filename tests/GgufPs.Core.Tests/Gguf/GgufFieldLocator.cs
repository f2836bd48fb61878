using System.Buffers.Binary;

namespace GgufPs.Tests.Gguf;

/// <summary>
/// Walks a valid GGUF header independently of the product's parser and records where fields sit, so corruption
/// tests can overwrite exactly the field they mean to.
/// </summary>
internal sealed class GgufFieldLocator
{
    public GgufFieldLocator(byte[] file)
    {
        int pos = 24;
        long kvCount = (long)BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(16));
        for (long i = 0; i < kvCount; i++)
        {
            pos += 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(pos));
            int typeAt = pos;
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(pos));
            pos += 4;
            if (type == 8 && FirstStringLength < 0)
            {
                FirstStringLength = pos;
            }
            if (type == 9 && FirstArrayCount < 0)
            {
                FirstArrayCount = pos + 4;
                FirstArrayType = typeAt;
            }
            if (FirstValueType < 0)
            {
                FirstValueType = typeAt;
            }
            pos = SkipValue(file, pos, type);
        }
        long tensorCount = (long)BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(8));
        for (long i = 0; i < tensorCount; i++)
        {
            var t = new TensorFields { NameLength = pos };
            int nameLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(pos));
            t.Name = System.Text.Encoding.UTF8.GetString(file, pos + 8, nameLength);
            pos += 8 + nameLength;
            t.Dims = pos;
            uint dims = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(pos));
            pos += 4;
            t.Ne0 = pos;
            pos += 8 * (int)dims;
            t.Type = pos;
            pos += 4;
            t.Offset = pos;
            pos += 8;
            t.DimensionCount = (int)dims;
            Tensors.Add(t);
        }
        HeaderEnd = pos;
    }

    public int FirstStringLength { get; } = -1;
    public int FirstArrayCount { get; } = -1;
    public int FirstArrayType { get; } = -1;
    public int FirstValueType { get; } = -1;
    public int HeaderEnd { get; }
    public List<TensorFields> Tensors { get; } = [];

    private static int SkipValue(byte[] f, int pos, uint type)
    {
        switch (type)
        {
            case 0 or 1 or 7: return pos + 1;
            case 2 or 3: return pos + 2;
            case 4 or 5 or 6: return pos + 4;
            case 10 or 11 or 12: return pos + 8;
            case 8: return pos + 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan(pos));
            case 9:
                uint et = BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(pos));
                long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan(pos + 4));
                pos += 12;
                for (long i = 0; i < n; i++)
                {
                    pos = SkipValue(f, pos, et);
                }
                return pos;
            default: throw new InvalidDataException("fixture has an unknown type");
        }
    }

    internal sealed class TensorFields
    {
        public string Name = "";
        public int NameLength;
        public int Dims;
        public int Ne0;
        public int Type;
        public int Offset;
        public int DimensionCount;
    }
}
