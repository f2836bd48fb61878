using GgufPs.Inference;
using GgufPs.Quantization;

namespace GgufPs.Tests.Inference;

/// <summary>
/// The batch-1 kernels of every tier give, bit for bit, what the batched path gives for the same token: the integer
/// kernels what <see cref="Int8Gemm"/> gives, the F16 ones what <see cref="FloatGemm"/> gives on the rounded token.
/// Rows not a multiple of the kernels' group test the overlapping last group; a team of two splits the rows.
/// </summary>
public unsafe class GemvTests
{
    private static readonly string[] TypeNames = ["Q8_0", "Q4_K", "Q5_K", "Q6_K", "Q3_K", "Q2_K", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL", "IQ4_XS"];

    private static readonly string[] KernelNames = [nameof(Int8Kernel.AvxVnni), nameof(Int8Kernel.Avx512BW), nameof(Int8Kernel.Avx2), nameof(Int8Kernel.Vector128)];

    public static TheoryData<string, string> TypesAndKernels()
    {
        var data = new TheoryData<string, string>();
        foreach (string type in TypeNames)
        {
            foreach (string kernel in KernelNames)
            {
                data.Add(type, kernel);
            }
        }
        return data;
    }

    public static TheoryData<string> Widths() => new(GgmlSums.Widths);

    [Theory]
    [MemberData(nameof(TypesAndKernels))]
    public void QuantizedRowsAreTheBatchedPathsBits(string name, string kernelName)
    {
        var kernel = Enum.Parse<Int8Kernel>(kernelName);
        if (!KernelSupport.Supports(kernel) || !Int8Gemm.Handles(Enum.Parse<GgmlType>(name)))
        {
            Assert.Skip($"This CPU has no {kernel} instructions.");
        }
        var type = Enum.Parse<GgmlType>(name);
        const int rows = 37, columns = 768, tokens = 6;
        using var dir = new TempDirectory();
        var random = new Random(5);
        using var file = GgufFile.Open(WriteMatrix(dir.File("m.gguf"), type, rows, columns, random));
        var w = new WeightMatrix(file, file.Tensors[0]);
        float[] x = Activations(tokens, columns, random);
        using var activations = new DecodeActivations(columns);
        using var team = new WorkerTeam(2);
        var expected = new float[rows];
        var actual = new float[rows];
        fixed (float* xp = x, e = expected, a = actual)
        {
            for (int t = 0; t < tokens; t++)
            {
                Int8Gemm.Multiply(w, xp + t * columns, 1, e, rows, 1);
                activations.Forget();
                Gemv.Multiply(w, xp + t * columns, a, activations, team, kernel, KernelSupport.FloatWidth);
                for (int r = 0; r < rows; r++)
                {
                    GgmlSums.AssertSameBits(expected[r], actual[r], $"{name} on {kernel}, token {t}, row {r}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void HalfRowsAreTheBatchedPathsBits(string widthName)
    {
        var width = Enum.Parse<VectorWidth>(widthName);
        if (!KernelSupport.Supports(width))
        {
            Assert.Skip($"This CPU has no {widthName} instructions.");
        }
        const int rows = 23, columns = 272, tokens = 3;
        using var dir = new TempDirectory();
        var random = new Random(8);
        using var file = GgufFile.Open(WriteMatrix(dir.File("m.gguf"), GgmlType.F16, rows, columns, random));
        var w = new WeightMatrix(file, file.Tensors[0]);
        float[] x = Activations(tokens, columns, random);
        ActivationRounding.Round(w.ActivationFormat, x, x, columns);
        using var activations = new DecodeActivations(columns);
        using var team = new WorkerTeam(2);
        var expected = new float[rows];
        var actual = new float[rows];
        fixed (float* xp = x, e = expected, a = actual)
        {
            for (int t = 0; t < tokens; t++)
            {
                FloatGemm.Multiply(w, xp + t * columns, 1, e, rows, 1, width);
                Gemv.Multiply(w, xp + t * columns, a, activations, team, KernelSupport.Int8, width);
                for (int r = 0; r < rows; r++)
                {
                    GgmlSums.AssertSameBits(expected[r], actual[r], $"F16 at {width}, token {t}, row {r}");
                }
            }
        }
    }

    [Fact]
    public void TooFewRowsGoTheBatchedWay()
    {
        using var dir = new TempDirectory();
        using var file = GgufFile.Open(WriteMatrix(dir.File("m.gguf"), GgmlType.Q4_K, 3, 256, new Random(1)));
        var w = new WeightMatrix(file, file.Tensors[0]);
        Assert.False(Gemv.Handles(w));
    }

    /// <summary>A rows × columns matrix of random values of <paramref name="type"/>, the first rows at the format's largest magnitudes.</summary>
    private static string WriteMatrix(string path, GgmlType type, int rows, int columns, Random random)
    {
        var format = BlockFormats.Get(type);
        using var writer = new GgufWriter(path);
        writer.WriteHeader([GgufMetadataEntry.Create("general.architecture", "test")], [new GgufTensorDescriptor("w", type, [columns, rows])]);
        var values = new float[columns];
        var bytes = new byte[format.RowBytes(columns)];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < columns; i++)
            {
                values[i] = r < 2 ? (i % 3 == 0 ? -1f : 1f) * (r + 1) : (float)((random.NextDouble() - 0.5) * (1 + r % 5));
            }
            format.Quantize(values, 1, columns, bytes);
            if (type == GgmlType.Q8_0 && r == 0)
            {
                for (int b = 0; b < columns / 32; b++)
                {
                    for (int j = 0; j < 32; j++)
                    {
                        bytes[b * 34 + 2 + j] = (byte)(j % 2 == 0 ? 0x80 : 0x7F);
                    }
                }
            }
            writer.WriteTensorData(bytes);
        }
        writer.Commit();
        return path;
    }

    private static float[] Activations(int tokens, int columns, Random random)
    {
        var x = new float[tokens * columns];
        for (int t = 0; t < tokens; t++)
        {
            for (int i = 0; i < columns; i++)
            {
                x[t * columns + i] = t == 0
                    ? (i % 5 == 0 ? -1f : 1f)
                    : (float)((random.NextDouble() - 0.5) * Math.Exp(random.Next(-3, 3)));
            }
        }
        return x;
    }
}
