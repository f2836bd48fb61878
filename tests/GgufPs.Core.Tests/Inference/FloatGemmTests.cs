using System.Runtime.InteropServices;
using GgufPs.Inference;

namespace GgufPs.Tests.Inference;

/// <summary>The float matrix kernels of every width sum each output as llama.cpp does, bit for bit.</summary>
public unsafe class FloatGemmTests
{
    public static TheoryData<int, int, int, string> Shapes()
    {
        var data = new TheoryData<int, int, int, string>();
        foreach (var (rows, k, tokens) in new[] { (64, 256, 13), (37, 48, 7), (5, 272, 1), (16, 100, 4), (9, 200, 6), (64, 32, 3), (3, 16, 2) })
        {
            foreach (string width in GgmlSums.Widths)
            {
                data.Add(rows, k, tokens, width);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EachOutputIsTinyBlasOrVecDot(int rows, int k, int tokens, string widthName)
    {
        var width = Enum.Parse<VectorWidth>(widthName);
        if (!KernelSupport.Supports(width))
        {
            Assert.Skip($"This CPU has no {widthName} instructions.");
        }
        var random = new Random(rows * 31 + k + tokens);
        var panel = new float[rows * k];
        var x = new float[tokens * k];
        for (int i = 0; i < panel.Length; i++)
        {
            panel[i] = (float)(random.NextDouble() * 2 - 1) * (1 + i % 7);
        }
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(random.NextDouble() * 2 - 1) * 3;
        }
        const int ldy = 70;
        var y = new float[tokens * ldy];
        fixed (float* p = panel, xp = x, yp = y)
        {
            FloatGemm.MultiplyPanel(width, p, rows, k, xp, tokens, yp, ldy);
        }
        for (int t = 0; t < tokens; t++)
        {
            for (int r = 0; r < rows; r++)
            {
                float expected = GgmlSums.Dot(panel.AsSpan(r * k, k), x.AsSpan(t * k, k), k);
                GgmlSums.AssertSameBits(expected, y[t * ldy + r], $"token {t} row {r}");
            }
        }
    }

    public static TheoryData<string> Widths() => new(GgmlSums.Widths);

    /// <summary>
    /// A long row (k = 16384) makes panels of 20 rows to stay in L2, the last one partial, handed out to two
    /// threads: every output is still its row's dot product in tinyBLAS's order.
    /// </summary>
    [Theory]
    [MemberData(nameof(Widths))]
    public void PanelsSizedForL2GiveEveryOutputItsRowsDot(string widthName)
    {
        var width = Enum.Parse<VectorWidth>(widthName);
        if (!KernelSupport.Supports(width))
        {
            Assert.Skip($"This CPU has no {widthName} instructions.");
        }
        const int rows = 70, k = 16384, tokens = 3;
        var random = new Random(5);
        var weights = new float[rows * k];
        var x = new float[tokens * k];
        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] = (float)(random.NextDouble() * 2 - 1);
        }
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(random.NextDouble() * 2 - 1);
        }
        using var dir = new TempDirectory();
        string path = dir.File("w.gguf");
        using (var writer = new GgufWriter(path))
        {
            writer.WriteHeader([GgufMetadataEntry.Create("general.architecture", "test")], [new GgufTensorDescriptor("w", GgmlType.F32, [k, rows])]);
            writer.WriteTensorData(MemoryMarshal.AsBytes(weights.AsSpan()));
            writer.Commit();
        }
        using var file = GgufFile.Open(path);
        var w = new WeightMatrix(file, file.Tensors[0]);
        var y = new float[tokens * rows];
        fixed (float* xp = x, yp = y)
        {
            FloatGemm.Multiply(w, xp, tokens, yp, rows, 2, width);
        }
        for (int t = 0; t < tokens; t++)
        {
            for (int r = 0; r < rows; r++)
            {
                float expected = GgmlSums.Dot(weights.AsSpan(r * k, k), x.AsSpan(t * k, k), k);
                GgmlSums.AssertSameBits(expected, y[t * rows + r], $"token {t} row {r}");
            }
        }
    }
}
