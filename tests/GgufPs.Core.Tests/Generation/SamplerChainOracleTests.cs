using System.Runtime.InteropServices;
using GgufPs.Generation;
using GgufPs.Oracle;

namespace GgufPs.Tests.Generation;

/// <summary>
/// Our sampler chain against llama.cpp's llama_sampler_* chain built the way common_sampler_init builds it: the same
/// logits, seed and accepted tokens must give the same token at every step.
/// </summary>
public partial class SamplerChainOracleTests
{
    public static TheoryData<string> Settings => new(SettingsByName.Keys);

    public static TheoryData<string> LogitShapes => new(["normal", "peaked", "ties", "negative-infinity", "flat", "wide"]);

    private static readonly Dictionary<string, SamplingOptions> SettingsByName = new()
    {
        ["defaults"] = new SamplingOptions(),
        ["greedy"] = new SamplingOptions { Greedy = true },
        ["temperature 0"] = new SamplingOptions { Temperature = 0f },
        ["hot, no top-k"] = new SamplingOptions { Temperature = 1.7f, TopK = 0 },
        ["no top-k, no min-p"] = new SamplingOptions { TopK = 0, MinP = 0f },
        ["top-k 300, top-p 0.5"] = new SamplingOptions { TopK = 300, TopP = 0.5f, MinP = 0f },
        ["top-k 100, no top-p"] = new SamplingOptions { TopK = 100, TopP = 1f },
        ["min-p only"] = new SamplingOptions { TopK = 0, TopP = 1f, MinP = 0.2f },
        ["min-p sorted, min-keep"] = new SamplingOptions { TopK = 50, TopP = 1f, MinP = 0.3f, MinKeep = 7 },
        ["typical"] = new SamplingOptions { TypicalP = 0.7f },
        ["typical, no top-k"] = new SamplingOptions { TypicalP = 0.9f, TopK = 0, TopP = 1f, MinP = 0f, MinKeep = 3 },
        ["xtc"] = new SamplingOptions { XtcProbability = 0.6f, XtcThreshold = 0.05f },
        ["top-n-sigma"] = new SamplingOptions { TopNSigma = 1.5f },
        ["dynamic temperature"] = new SamplingOptions { DynamicTemperatureRange = 0.5f, DynamicTemperatureExponent = 1.3f },
        ["penalties"] = new SamplingOptions { RepeatPenalty = 1.3f, FrequencyPenalty = 0.2f, PresencePenalty = 0.4f, RepeatLastN = 8 },
        ["everything"] = new SamplingOptions
        {
            RepeatPenalty = 1.1f, RepeatLastN = 16, TopNSigma = 2f, TopK = 200, TypicalP = 0.95f, TopP = 0.9f, MinP = 0.02f,
            XtcProbability = 0.5f, XtcThreshold = 0.02f, Temperature = 1.1f, DynamicTemperatureRange = 0.3f, MinKeep = 2,
        },
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void EverySettingChoosesTheOraclesTokens(string setting)
    {
        var options = SettingsByName[setting];
        var failures = new List<string>();
        foreach (int vocabulary in new[] { 7, 150, 1500, 32000 })
        {
            foreach (string shape in LogitShapes)
            {
                for (uint seed = 0; seed < (vocabulary > 10000 ? 2u : 6u); seed++)
                {
                    Compare(options, vocabulary, shape, seed * 7919 + 3, steps: vocabulary > 10000 ? 6 : 12, failures);
                }
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
    }

    [Theory]
    [MemberData(nameof(LogitShapes))]
    public void LargeVocabulariesChooseTheOraclesTokens(string shape)
    {
        var failures = new List<string>();
        foreach (var setting in new[] { "defaults", "hot, no top-k", "no top-k, no min-p", "typical, no top-k", "everything" })
        {
            Compare(SettingsByName[setting], 151936, shape, 42, steps: 3, failures);
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
    }

    [Fact]
    public void ManySeedsChooseTheOraclesTokens()
    {
        var failures = new List<string>();
        for (uint seed = 0; seed < 300; seed++)
        {
            Compare(new SamplingOptions { Seed = seed }, 2000, "normal", seed * 2654435761u, steps: 4, failures);
        }
        Compare(new SamplingOptions { Seed = uint.MaxValue - 1 }, 2000, "normal", 5, steps: 4, failures);
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
    }

    [Fact]
    public void ResetRestartsTheRandomStreamsAsTheOracleDoes()
    {
        var options = new SamplingOptions { Seed = 1234, XtcProbability = 0.5f, XtcThreshold = 0.05f, RepeatPenalty = 1.2f };
        var ours = SamplerChain.Create(options, 500);
        using var oracle = new LlamaCppSamplerChain(options, 1234);
        var random = new Random(9);
        for (int step = 0; step < 20; step++)
        {
            if (step == 10)
            {
                ours.Reset();
                oracle.Reset();
            }
            float[] logits = MakeLogits(500, "normal", random);
            int expected = oracle.Sample(logits);
            Assert.Equal(expected, ours.Sample(logits));
            ours.Accept(expected);
            oracle.Accept(expected);
        }
    }

    [Fact]
    public void ARandomSeedIsReportedAndReproducesTheDraws()
    {
        var first = SamplerChain.Create(new SamplingOptions());
        Assert.NotEqual(SamplingOptions.RandomSeed, first.Seed);
        var again = SamplerChain.Create(new SamplingOptions { Seed = first.Seed });
        var random = new Random(3);
        for (int step = 0; step < 10; step++)
        {
            float[] logits = MakeLogits(1000, "normal", random);
            Assert.Equal(first.Sample(logits), again.Sample(logits));
        }
    }

    [Fact]
    public void GreedyBreaksTiesTowardTheLowestId()
    {
        var chain = SamplerChain.Create(new SamplingOptions { Greedy = true });
        Assert.Equal(3, chain.Sample([0f, 1f, 2f, 5f, 5f, 5f, -1f]));
        Assert.Equal(0, chain.Sample([float.NegativeInfinity, float.NegativeInfinity]));
    }

    [Fact]
    public void DefaultChainHasLlamaCppsOrder()
    {
        Assert.Equal(["top-k", "top-p", "min-p", "temp-ext", "dist"], SamplerChain.Create(new SamplingOptions()).SamplerNames);
        Assert.Equal(
            ["penalties", "top-n-sigma", "top-k", "typical", "top-p", "min-p", "xtc", "temp-ext", "dist"],
            SamplerChain.Create(SettingsByName["everything"]).SamplerNames);
    }

    [Fact]
    public void NonFiniteSettingsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => SamplerChain.Create(new SamplingOptions { Temperature = float.NaN }));
        Assert.Throws<ArgumentException>(() => SamplerChain.Create(new SamplingOptions { MinKeep = -1 }));
        Assert.Throws<ArgumentException>(() => SamplerChain.Create(new SamplingOptions()).Sample([]));
    }

    /// <summary>llama-sampler.cpp calls glibc's expf/logf/powf/exp; .NET's MathF/Math must give the same bits for the chain to match.</summary>
    [Fact]
    public void DotNetMathMatchesLibm()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "libm is glibc's only on Linux.");
        var random = new Random(11);
        for (int i = 0; i < 200_000; i++)
        {
            float x = -(float)(random.NextDouble() * 110);
            float y = (float)random.NextDouble();
            float z = (float)random.NextDouble() * 3;
            double d = -random.NextDouble() * 700;
            Assert.Equal(BitConverter.SingleToInt32Bits(LibmExpf(x)), BitConverter.SingleToInt32Bits(MathF.Exp(x)));
            Assert.Equal(BitConverter.SingleToInt32Bits(LibmLogf(y)), BitConverter.SingleToInt32Bits(MathF.Log(y)));
            Assert.Equal(BitConverter.SingleToInt32Bits(LibmPowf(y, z)), BitConverter.SingleToInt32Bits(MathF.Pow(y, z)));
            Assert.Equal(BitConverter.DoubleToInt64Bits(LibmExp(d)), BitConverter.DoubleToInt64Bits(Math.Exp(d)));
        }
    }

    private static void Compare(SamplingOptions options, int vocabulary, string shape, uint seed, int steps, List<string> failures)
    {
        var seeded = WithSeed(options, seed);
        var ours = SamplerChain.Create(seeded, vocabulary);
        using var oracle = new LlamaCppSamplerChain(seeded, seed);
        if (!options.Greedy)
        {
            Assert.Equal(oracle.Seed, ours.Seed);
        }
        var random = new Random((int)seed ^ vocabulary);
        for (int step = 0; step < steps; step++)
        {
            float[] logits = MakeLogits(vocabulary, shape, random);
            int expected = oracle.Sample(logits);
            int actual = ours.Sample(logits);
            if (expected != actual)
            {
                failures.Add($"vocabulary {vocabulary}, {shape}, seed {seed}, step {step}: llama.cpp chose {expected}, we chose {actual}");
                return;
            }
            ours.Accept(expected);
            oracle.Accept(expected);
        }
    }

    private static SamplingOptions WithSeed(SamplingOptions o, uint seed) => new()
    {
        Greedy = o.Greedy, Seed = seed, Temperature = o.Temperature, DynamicTemperatureRange = o.DynamicTemperatureRange,
        DynamicTemperatureExponent = o.DynamicTemperatureExponent, TopK = o.TopK, TopP = o.TopP, MinP = o.MinP,
        TypicalP = o.TypicalP, TopNSigma = o.TopNSigma, XtcProbability = o.XtcProbability, XtcThreshold = o.XtcThreshold,
        RepeatLastN = o.RepeatLastN, RepeatPenalty = o.RepeatPenalty, FrequencyPenalty = o.FrequencyPenalty,
        PresencePenalty = o.PresencePenalty, MinKeep = o.MinKeep,
    };

    /// <summary>Logits shaped like a model's (normal around 0), sharply peaked, full of exact ties, partly -inf, flat, or spread past the bucket range.</summary>
    internal static float[] MakeLogits(int n, string shape, Random random)
    {
        var logits = new float[n];
        for (int i = 0; i < n; i++)
        {
            double normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            logits[i] = shape switch
            {
                "normal" => (float)(normal * 2.5),
                "peaked" => (float)(normal * 1.5) + (random.Next(50) == 0 ? 15f : 0f),
                "ties" => MathF.Round((float)normal * 2f) / 2f,
                "negative-infinity" => random.Next(3) == 0 ? float.NegativeInfinity : (float)(normal * 3),
                "flat" => 1.25f,
                "wide" => (float)(normal * 30),
                _ => throw new ArgumentOutOfRangeException(nameof(shape)),
            };
        }
        if (shape == "negative-infinity")
        {
            logits[random.Next(n)] = 4f;
        }
        return logits;
    }

    [LibraryImport("libm.so.6", EntryPoint = "expf")] private static partial float LibmExpf(float x);

    [LibraryImport("libm.so.6", EntryPoint = "logf")] private static partial float LibmLogf(float x);

    [LibraryImport("libm.so.6", EntryPoint = "powf")] private static partial float LibmPowf(float x, float y);

    [LibraryImport("libm.so.6", EntryPoint = "exp")] private static partial double LibmExp(double x);
}
