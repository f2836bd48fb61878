namespace GgufPs.Tests.Quantization;

/// <summary>Deterministic rows of the shapes quantizers find hard: outliers, flat rows, zeros, extreme magnitudes.</summary>
internal static class SampleRows
{
    public static readonly string[] Distributions =
    [
        "gaussian", "outliers", "zeros", "constant", "tiny", "huge", "positive", "sparse", "uniform", "mixedscale",
        "grid", "overflow", "spike", "signedzeros", "specials",
    ];

    public static float[] Create(string distribution, int count, int seed)
    {
        var random = new Random(seed * 7919 + distribution.Length * 104729 + distribution[0]);
        var x = new float[count];
        for (int i = 0; i < count; i++)
        {
            x[i] = distribution switch
            {
                "gaussian" => Gaussian(random) * 0.02f,
                "outliers" => random.NextDouble() < 0.01 ? Gaussian(random) * 3f : Gaussian(random) * 0.01f,
                "zeros" => 0f,
                "constant" => 0.375f,
                "tiny" => Gaussian(random) * 1e-20f,
                "huge" => Gaussian(random) * 1e17f,
                "positive" => MathF.Abs(Gaussian(random)) + 0.5f,
                "sparse" => random.NextDouble() < 0.9 ? 0f : Gaussian(random),
                "uniform" => (float)(random.NextDouble() * 2 - 1),
                "mixedscale" => Gaussian(random) * MathF.Pow(10, (i / 32 % 7) - 3),
                "grid" => random.Next(-16, 17) * 0.125f,
                "overflow" => Gaussian(random) * 1e30f,
                "spike" => i % 64 == 17 ? 100f : Gaussian(random) * 0.001f,
                // Zeros of both signs and equal magnitudes of both signs, where first-occurrence rules decide.
                "signedzeros" => (i % 5) switch { 0 => -0f, 1 => 0f, 2 => 0.5f, 3 => -0.5f, _ => random.Next(3) - 1 },
                // NaN and infinities: ggml's order-dependent max and min must be reproduced even here.
                "specials" => (random.Next(40)) switch { 0 => float.NaN, 1 => float.PositiveInfinity, 2 => float.NegativeInfinity, 3 => -0f, _ => Gaussian(random) },
                _ => throw new ArgumentOutOfRangeException(nameof(distribution)),
            };
        }
        return x;
    }

    /// <summary>Importance weights like an imatrix's: non-negative, skewed, with some columns never used.</summary>
    public static float[] Importance(int count, int seed, bool withZeros)
    {
        var random = new Random(seed * 31 + 5);
        var w = new float[count];
        for (int i = 0; i < count; i++)
        {
            float g = Gaussian(random);
            w[i] = withZeros && random.NextDouble() < 0.2 ? 0f : g * g + 0.01f * (float)random.NextDouble();
        }
        return w;
    }

    public static float Gaussian(Random random)
    {
        double u1 = 1.0 - random.NextDouble();
        double u2 = random.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }
}
