using GgufPs.Quantization;
using GgufPs.Oracle;

namespace GgufPs.Tests.Quantization;

/// <summary>
/// The grid-based IQ formats (IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S) against ggml_quantize_chunk and
/// dequantize_row_*, byte for byte and bit for bit. Where ggml would stop the process (a failed GGML_ASSERT when
/// the grid search overflows on huge or non-finite values), our quantizer throws instead, and the oracle is not called.
/// </summary>
public class GridBlockFormatOracleTests
{
    private static readonly GgmlType[] GridTypes =
    [
        GgmlType.IQ2_XXS, GgmlType.IQ2_XS, GgmlType.IQ2_S, GgmlType.IQ3_XXS, GgmlType.IQ3_S, GgmlType.IQ1_S, GgmlType.IQ1_M,
    ];

    public static TheoryData<GgmlType, string> TypesAndDistributions()
    {
        var data = new TheoryData<GgmlType, string>();
        foreach (var type in GridTypes)
        {
            foreach (string distribution in SampleRows.Distributions)
            {
                data.Add(type, distribution);
            }
        }
        return data;
    }

    public static TheoryData<GgmlType> Types()
    {
        var data = new TheoryData<GgmlType>();
        foreach (var type in GridTypes)
        {
            data.Add(type);
        }
        return data;
    }

    /// <summary>Our bytes, or null when our quantizer refuses the data as ggml would abort on it.</summary>
    private static byte[]? QuantizeOurs(BlockFormat format, float[] source, int rows, int width, float[] importance)
    {
        var actual = new byte[format.RowBytes(width) * rows];
        try
        {
            format.Quantize(source, rows, width, actual, importance);
            return actual;
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    private static void AssertMatches(GgmlType type, float[] source, int rows, int width, float[] importance, string what, bool mayRefuse)
    {
        var actual = QuantizeOurs(BlockFormats.Get(type), source, rows, width, importance);
        if (actual is null)
        {
            Assert.True(mayRefuse, $"{what}: refused ordinary data.");
            return;
        }
        var expected = LlamaCppOracle.Quantize(type, source, rows, width, importance);
        BlockFormatOracleTests.AssertBytes(expected, actual, what);
    }

    // Overflowing weighted errors (or NaN) are the only reason to refuse.
    private static bool MayRefuse(string distribution) => distribution is "huge" or "overflow" or "specials";

    [Theory]
    [MemberData(nameof(TypesAndDistributions))]
    public void QuantizeWithImportanceMatchesGgml(GgmlType type, string distribution)
    {
        foreach (int width in new[] { 256, 768 })
        {
            foreach (bool withZeros in new[] { false, true })
            {
                const int rows = 2;
                var source = SampleRows.Create(distribution, rows * width, width + 1);
                var importance = SampleRows.Importance(width, width, withZeros);
                AssertMatches(type, source, rows, width, importance, $"{type} {distribution} width {width} zeros {withZeros}", MayRefuse(distribution));
            }
        }
    }

    [Theory]
    [MemberData(nameof(TypesAndDistributions))]
    public void QuantizeWithoutImportanceMatchesGgml(GgmlType type, string distribution)
    {
        var format = BlockFormats.Get(type);
        var source = SampleRows.Create(distribution, 512, 7);
        if (format.RequiresImportance)
        {
            Assert.Throws<ArgumentException>(() => format.Quantize(source, 1, 512, new byte[format.RowBytes(512)]));
            return;
        }
        AssertMatches(type, source, 1, 512, [], $"{type} {distribution}", MayRefuse(distribution));
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void ManyScalesAndOffGridPointsMatchGgml(GgmlType type)
    {
        // Rows whose groups span many magnitudes land on many off-grid codes, so most neighbour lists get used;
        // near-ties in the weights exercise the first-candidate-wins rule.
        const int width = 4096;
        var random = new Random(5);
        var source = new float[width];
        for (int i = 0; i < width; i++)
        {
            source[i] = SampleRows.Gaussian(random) * MathF.Pow(2, random.Next(-6, 7)) * (i % 8 == 0 ? 4 : 1);
        }
        var importance = new float[width];
        for (int i = 0; i < width; i++)
        {
            importance[i] = i % 3 == 0 ? 1f : (float)random.NextDouble();
        }
        AssertMatches(type, source, 1, width, importance, type.ToString(), mayRefuse: false);
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void DequantizeMatchesGgmlOnArbitraryBytes(GgmlType type)
    {
        var format = BlockFormats.Get(type);
        const int count = 2048;
        var blocks = new byte[format.RowBytes(count)];
        new Random(17).NextBytes(blocks);
        // Keep the F16 scales finite so the comparison is about the grid, not about NaN payloads.
        for (int b = 0; b < blocks.Length / format.BlockBytes; b++)
        {
            int scaleOffset = type == GgmlType.IQ1_M ? 55 : 1;
            blocks[b * format.BlockBytes + scaleOffset] &= 0x3F;
        }
        var expected = LlamaCppOracle.Dequantize(type, blocks, count);
        var actual = new float[count];
        format.Dequantize(blocks, actual);
        BlockFormatOracleTests.AssertBits(expected, actual, type.ToString());
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void DequantizeMatchesGgmlOnOwnBlocks(GgmlType type)
    {
        var format = BlockFormats.Get(type);
        const int count = 1024;
        var source = SampleRows.Create("outliers", count, 3);
        var importance = SampleRows.Importance(count, 4, withZeros: true);
        var blocks = new byte[format.RowBytes(count)];
        format.Quantize(source, 1, count, blocks, importance);
        var expected = LlamaCppOracle.Dequantize(type, blocks, count);
        var actual = new float[count];
        format.Dequantize(blocks, actual);
        BlockFormatOracleTests.AssertBits(expected, actual, type.ToString());
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void EveryGridPointDequantizesAsInGgml(GgmlType type)
    {
        // One block per run of grid indices with unit scales and no signs, so each point's coordinates come out as
        // values: this checks the recovered kgrid tables entry by entry.
        var format = BlockFormats.Get(type);
        int gridSize = type switch
        {
            GgmlType.IQ2_XXS or GgmlType.IQ3_XXS => 256,
            GgmlType.IQ2_XS or GgmlType.IQ3_S => 512,
            GgmlType.IQ2_S => 1024,
            _ => 2048,
        };
        int perBlock = type is GgmlType.IQ3_XXS or GgmlType.IQ3_S ? 64 : 32;
        int blocks = gridSize / perBlock;
        var data = new byte[blocks * format.BlockBytes];
        for (int b = 0; b < blocks; b++)
        {
            var block = data.AsSpan(b * format.BlockBytes, format.BlockBytes);
            if (type == GgmlType.IQ1_M)
            {
                block[55] = 0x3C; // d = 1 in the scales' top nibbles
            }
            else
            {
                block[1] = 0x3C;
            }
            for (int e = 0; e < perBlock; e++)
            {
                WriteIndex(type, block, e, b * perBlock + e);
            }
        }
        var expected = LlamaCppOracle.Dequantize(type, data, blocks * 256);
        var actual = new float[blocks * 256];
        format.Dequantize(data, actual);
        BlockFormatOracleTests.AssertBits(expected, actual, type.ToString());
    }

    // Places grid index `index` at entry `e` of a block, in each format's layout.
    private static void WriteIndex(GgmlType type, Span<byte> block, int e, int index)
    {
        switch (type)
        {
            case GgmlType.IQ2_XXS:
                block[2 + 8 * (e / 4) + e % 4] = (byte)index;
                break;
            case GgmlType.IQ2_XS:
                BitConverter.TryWriteBytes(block[(2 + 2 * e)..], (ushort)index);
                break;
            case GgmlType.IQ2_S:
                block[2 + e] = (byte)index;
                block[66 + e / 4] |= (byte)((index >> 8) << 2 * (e % 4));
                break;
            case GgmlType.IQ3_XXS:
                block[2 + e] = (byte)index;
                break;
            case GgmlType.IQ3_S:
                block[2 + e] = (byte)index;
                block[66 + e / 8] |= (byte)((index >> 8) << e % 8);
                break;
            case GgmlType.IQ1_S:
                block[2 + e] = (byte)index;
                var qh = block[(34 + 2 * (e / 4))..];
                BitConverter.TryWriteBytes(qh, (ushort)(BitConverter.ToUInt16(qh) | (index >> 8) << 3 * (e % 4)));
                break;
            case GgmlType.IQ1_M:
                block[e] = (byte)index;
                block[32 + e / 2] |= (byte)(e % 2 == 0 ? index >> 8 : (index >> 8) << 4);
                break;
        }
    }
}
