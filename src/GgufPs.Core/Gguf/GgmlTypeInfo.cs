namespace GgufPs;

/// <summary>The storage layout of one ggml type: how many elements a block holds and how many bytes it takes.</summary>
public sealed class GgmlTypeInfo
{
    internal GgmlTypeInfo(GgmlType type, string name, int blockSize, int typeSize, bool isQuantized, bool isKnown)
    {
        Type = type;
        Name = name;
        BlockSize = blockSize;
        TypeSize = typeSize;
        IsQuantized = isQuantized;
        IsKnown = isKnown;
    }

    public GgmlType Type { get; }

    /// <summary>The name as llama.cpp's tools print it in upper case (Q4_K, IQ2_XXS, BF16), or Unknown(id).</summary>
    public string Name { get; }

    /// <summary>Elements per block; 1 for plain types, 0 for an unknown type.</summary>
    public int BlockSize { get; }

    /// <summary>Bytes per block; 0 for an unknown type.</summary>
    public int TypeSize { get; }

    public bool IsQuantized { get; }

    public bool IsKnown { get; }

    public double BitsPerWeight => IsKnown ? TypeSize * 8.0 / BlockSize : double.NaN;

    /// <summary>Bytes taken by <paramref name="elements"/> elements, or -1 when the count is not a whole number of blocks.</summary>
    public long ByteCount(long elements)
    {
        if (!IsKnown || elements < 0 || elements % BlockSize != 0)
        {
            return -1;
        }
        long blocks = elements / BlockSize;
        return blocks > long.MaxValue / TypeSize ? -1 : blocks * TypeSize;
    }

    /// <summary>Bytes of one row of <paramref name="rowLength"/> elements, or -1 when the row is not a whole number of blocks.</summary>
    public long RowSize(long rowLength) => ByteCount(rowLength);

    public override string ToString() => Name;

    private static readonly Dictionary<int, GgmlTypeInfo> Known = Build();

    private static Dictionary<int, GgmlTypeInfo> Build()
    {
        var table = new Dictionary<int, GgmlTypeInfo>();
        void Add(GgmlType t, int block, int size, bool quantized) =>
            table[(int)t] = new GgmlTypeInfo(t, t.ToString(), block, size, quantized, isKnown: true);

        Add(GgmlType.F32, 1, 4, false);
        Add(GgmlType.F16, 1, 2, false);
        Add(GgmlType.Q4_0, 32, 18, true);
        Add(GgmlType.Q4_1, 32, 20, true);
        Add(GgmlType.Q5_0, 32, 22, true);
        Add(GgmlType.Q5_1, 32, 24, true);
        Add(GgmlType.Q8_0, 32, 34, true);
        Add(GgmlType.Q8_1, 32, 36, true);
        Add(GgmlType.Q2_K, 256, 84, true);
        Add(GgmlType.Q3_K, 256, 110, true);
        Add(GgmlType.Q4_K, 256, 144, true);
        Add(GgmlType.Q5_K, 256, 176, true);
        Add(GgmlType.Q6_K, 256, 210, true);
        Add(GgmlType.Q8_K, 256, 292, true);
        Add(GgmlType.IQ2_XXS, 256, 66, true);
        Add(GgmlType.IQ2_XS, 256, 74, true);
        Add(GgmlType.IQ3_XXS, 256, 98, true);
        Add(GgmlType.IQ1_S, 256, 50, true);
        Add(GgmlType.IQ4_NL, 32, 18, true);
        Add(GgmlType.IQ3_S, 256, 110, true);
        Add(GgmlType.IQ2_S, 256, 82, true);
        Add(GgmlType.IQ4_XS, 256, 136, true);
        Add(GgmlType.I8, 1, 1, false);
        Add(GgmlType.I16, 1, 2, false);
        Add(GgmlType.I32, 1, 4, false);
        Add(GgmlType.I64, 1, 8, false);
        Add(GgmlType.F64, 1, 8, false);
        Add(GgmlType.IQ1_M, 256, 56, true);
        Add(GgmlType.BF16, 1, 2, false);
        Add(GgmlType.TQ1_0, 256, 54, true);
        Add(GgmlType.TQ2_0, 256, 66, true);
        Add(GgmlType.MXFP4, 32, 17, true);
        Add(GgmlType.NVFP4, 64, 36, true);
        Add(GgmlType.Q1_0, 128, 18, true);
        Add(GgmlType.Q2_0, 64, 18, true);
        return table;
    }

    /// <summary>Every type this build knows, in id order.</summary>
    public static IReadOnlyList<GgmlTypeInfo> All { get; } = Known.Values.OrderBy(t => (int)t.Type).ToArray();

    /// <summary>The layout of a type id; an id this build does not know gives an Unknown(id) entry rather than failing.</summary>
    public static GgmlTypeInfo Get(GgmlType type) =>
        Known.TryGetValue((int)type, out var info)
            ? info
            : new GgmlTypeInfo(type, $"Unknown({(int)type})", 0, 0, false, isKnown: false);

    /// <summary>Parses a type name such as q4_k, Q4_K or bf16, case-insensitively.</summary>
    public static bool TryParse(string? name, out GgmlType type)
    {
        type = default;
        if (string.IsNullOrWhiteSpace(name))
        {
            return false;
        }
        foreach (var info in All)
        {
            if (string.Equals(info.Name, name.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                type = info.Type;
                return true;
            }
        }
        return false;
    }
}
