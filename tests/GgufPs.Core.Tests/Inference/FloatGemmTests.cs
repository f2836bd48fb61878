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
}
