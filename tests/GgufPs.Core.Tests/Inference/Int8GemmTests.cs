using GgufPs.Inference;
using GgufPs.Quantization;

namespace GgufPs.Tests.Inference;

/// <summary>
/// Every integer kernel (AVX-VNNI, AVX-512BW, AVX2, Vector128) gives, bit for bit, the arithmetic of a scalar model of
/// the kernels: exact integer dot products per group, then the same fused float steps in the same order; and that
/// arithmetic agrees with the float kernel on the quantized activations.
/// </summary>
public unsafe class Int8GemmTests
{
    private static readonly string[] TypeNames = ["Q8_0", "Q4_0", "Q5_0", "Q4_1", "Q5_1", "IQ4_NL", "IQ4_XS", "Q4_K", "Q5_K", "Q6_K", "Q3_K", "Q2_K"];

    private static readonly string[] KernelNames = [nameof(Int8Kernel.AvxVnni), nameof(Int8Kernel.Avx512BW), nameof(Int8Kernel.Avx2), nameof(Int8Kernel.Vector128)];

    public static TheoryData<string> Types() => new(TypeNames);

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

    [Theory]
    [MemberData(nameof(TypesAndKernels))]
    public void EachKernelIsTheScalarModelBitForBit(string name, string kernelName)
    {
        var kernel = Enum.Parse<Int8Kernel>(kernelName);
        if (!KernelSupport.Supports(kernel))
        {
            Assert.Skip($"This CPU has no {kernel} instructions.");
        }
        var type = Enum.Parse<GgmlType>(name);
        const int rows = 37, columns = 768, tokens = 7;
        using var dir = new TempDirectory();
        var random = new Random(11);
        using var file = GgufFile.Open(WriteMatrix(dir.File("m.gguf"), type, rows, columns, random, extremes: true));
        var w = new WeightMatrix(file, file.Tensors[0]);
        float[] x = Activations(tokens, columns, random);
        var expected = ScalarModel(w, x, tokens);
        var actual = new float[tokens * rows];
        fixed (float* xp = x, a = actual)
        {
            Int8Gemm.Multiply(w, xp, tokens, a, rows, 2, kernel);
        }
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{name} on {kernel}, output {i}: {expected[i]:R} vs {actual[i]:R}");
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void AgreesWithTheFloatKernelOnQuantizedActivations(string name)
    {
        var type = Enum.Parse<GgmlType>(name);
        const int rows = 37, columns = 512, tokens = 7;
        using var dir = new TempDirectory();
        var random = new Random(3);
        using var file = GgufFile.Open(WriteMatrix(dir.File("m.gguf"), type, rows, columns, random, extremes: false));
        var w = new WeightMatrix(file, file.Tensors[0]);
        var x = new float[tokens * columns];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)((random.NextDouble() - 0.5) * 4);
        }
        var rounded = new float[x.Length];
        ActivationRounding.Round(w.ActivationFormat, x, rounded, columns);
        var expected = new float[tokens * rows];
        var actual = ScalarModel(w, x, tokens);
        fixed (float* rp = rounded, e = expected)
        {
            FloatGemm.Multiply(w, rp, tokens, e, rows, 2);
        }
        double scale = expected.Max(Math.Abs);
        // Q4_1 and Q5_1 take the activation sums ggml keeps in F16 (block_q8_1.s), which the float path does not round.
        double tolerance = type is GgmlType.Q4_1 or GgmlType.Q5_1 ? 2e-3 : 2e-5;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * scale, $"{name} output {i}: {expected[i]:R} vs {actual[i]:R}");
        }
    }

    /// <summary>Pairs of weight types fed the same input (as Q, K and V, or gate and up), and whether they share its quantization.</summary>
    public static TheoryData<string, string, bool> TypePairs() => new()
    {
        { "Q8_0", "Q8_0", true },
        { "Q8_0", "Q4_0", true },
        { "Q4_0", "Q4_1", true },
        { "Q8_0", "IQ4_NL", true },
        { "Q4_K", "Q5_K", true },
        { "Q4_K", "IQ4_XS", true },
        { "Q6_K", "Q3_K", true },
        { "Q4_K", "Q6_K", false },
        { "Q8_0", "Q4_K", false },
        { "IQ4_NL", "IQ4_XS", false },
    };

    [Theory]
    [MemberData(nameof(TypePairs))]
    public void OneQuantizationServesEveryWeightOfTheSameActivationFormat(string first, string second, bool shared)
    {
        const int rows = 21, columns = 512, tokens = 9;
        using var dir = new TempDirectory();
        var random = new Random(5);
        using var firstFile = GgufFile.Open(WriteMatrix(dir.File("a.gguf"), Enum.Parse<GgmlType>(first), rows, columns, random, extremes: false));
        using var secondFile = GgufFile.Open(WriteMatrix(dir.File("b.gguf"), Enum.Parse<GgmlType>(second), rows + 16, columns, random, extremes: false));
        var a = new WeightMatrix(firstFile, firstFile.Tensors[0]);
        var b = new WeightMatrix(secondFile, secondFile.Tensors[0]);
        float[] x = Activations(tokens, columns, random);
        foreach (var kernel in Enum.GetValues<Int8Kernel>().Where(k => k != Int8Kernel.None && KernelSupport.Supports(k)))
        {
            fixed (float* xp = x)
            {
                using var quantized = Int8Gemm.Quantize(a, xp, tokens, 2, kernel);
                Assert.True(Int8Gemm.Shares(quantized, a, kernel));
                Assert.Equal(shared, Int8Gemm.Shares(quantized, b, kernel));
                foreach (var w in shared ? new[] { a, b } : [a])
                {
                    var expected = new float[tokens * w.Rows];
                    var actual = new float[tokens * w.Rows];
                    fixed (float* e = expected, o = actual)
                    {
                        Int8Gemm.Multiply(w, xp, tokens, e, w.Rows, 2, kernel);
                        Int8Gemm.Multiply(w, quantized, o, w.Rows, 2, kernel);
                    }
                    Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
                }
                if (!shared)
                {
                    var output = new float[tokens * b.Rows];
                    fixed (float* o = output)
                    {
                        float* op = o;
                        Assert.Throws<ArgumentException>(() => Int8Gemm.Multiply(b, quantized, op, b.Rows, 2, kernel));
                    }
                }
            }
        }
    }

    [Fact]
    public void TheEngineUsesAKernelThisCpuHas()
    {
        Assert.True(KernelSupport.Supports(KernelSupport.Int8));
        Assert.True(KernelSupport.Supports(KernelSupport.FloatWidth));
    }

    /// <summary>
    /// A rows × columns matrix of random values quantized to <paramref name="type"/>. With <paramref name="extremes"/>,
    /// the first rows hold the largest weights the format can store (Q8_0's −128 and 127 included), where pmaddubsw
    /// would saturate without the sign trick.
    /// </summary>
    private static string WriteMatrix(string path, GgmlType type, int rows, int columns, Random random, bool extremes)
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
                values[i] = extremes && r < 3
                    ? (i % 3 == 0 ? -1f : 1f) * (r + 1)
                    : (float)((random.NextDouble() - 0.5) * (1 + r % 5));
            }
            format.Quantize(values, 1, columns, bytes);
            if (extremes && type == GgmlType.Q8_0 && r < 2)
            {
                for (int b = 0; b < columns / 32; b++)
                {
                    for (int j = 0; j < 32; j++)
                    {
                        bytes[b * 34 + 2 + j] = (byte)(r == 0 ? 0x80 : (j % 2 == 0 ? 0x80 : 0x7F));
                    }
                }
            }
            writer.WriteTensorData(bytes);
        }
        writer.Commit();
        return path;
    }

    /// <summary>Random activations, with a few tokens of equal magnitudes that quantize to ±127 throughout.</summary>
    private static float[] Activations(int tokens, int columns, Random random)
    {
        var x = new float[tokens * columns];
        for (int t = 0; t < tokens; t++)
        {
            for (int i = 0; i < columns; i++)
            {
                x[t * columns + i] = t < 2
                    ? (i % 5 == 0 ? -1f : 1f) * (t + 1)
                    : (float)((random.NextDouble() - 0.5) * Math.Exp(random.Next(-3, 3)));
            }
        }
        return x;
    }

    /// <summary>
    /// The kernels' arithmetic one output at a time: exact integer dot products of the panel's unsigned weights with
    /// the int8 activations less bias·Σa, then, for the K-quants, per group c·(d·s) fused into the block's sum, the
    /// block's sum times d_a fused into the output, and the minimums' d_a·sum·(dmin·m) fused off at the end; for the
    /// blocks of 32, c·(d_w·d_a) fused in, and the minimum's m_w·s_a.
    /// </summary>
    private static float[] ScalarModel(WeightMatrix w, float[] x, int tokens)
    {
        var f = Int8Format.For(w.Type)!;
        int k = w.Columns;
        int rows = w.Rows;
        var y = new float[tokens * rows];
        fixed (float* xp = x)
        {
            using var a = new QuantizedActivations(xp, tokens, tokens, k, f.KQuant, f.GroupSize, 1);
            using var panel = new QuantizedPanel(k, f);
            for (int n0 = 0; n0 < rows; n0 += QuantizedPanel.Rows)
            {
                int count = Math.Min(QuantizedPanel.Rows, rows - n0);
                panel.Load(w, n0, count);
                for (int t = 0; t < tokens; t++)
                {
                    for (int r = 0; r < count; r++)
                    {
                        y[t * rows + n0 + r] = f.KQuant ? KQuantOutput(panel, a, t, r) : BlockOutput(panel, a, t, r);
                    }
                }
            }
        }
        return y;
    }

    private static int IntegerDot(QuantizedPanel panel, QuantizedActivations a, int t, int r, int from, int count)
    {
        int sum = 0;
        for (int c = from; c < from + count; c++)
        {
            sum += panel.Weights[c / 4 * 64 + r * 4 + c % 4] * a.Values[(long)t * a.Columns + c];
        }
        return sum;
    }

    private static float KQuantOutput(QuantizedPanel panel, QuantizedActivations a, int t, int r)
    {
        int g = panel.Format.GroupSize;
        int groupsPerBlock = 256 / g;
        float output = 0;
        for (int b = 0; b < panel.Columns / 256; b++)
        {
            float block = 0;
            for (int gi = 0; gi < groupsPerBlock; gi++)
            {
                int group = b * groupsPerBlock + gi;
                int dot = IntegerDot(panel, a, t, r, group * g, g) - panel.Format.Bias * a.Sums[t * a.GroupsPerToken + group];
                block = MathF.FusedMultiplyAdd(dot, panel.GroupScaleFloats[group * 16 + r], block);
            }
            output = MathF.FusedMultiplyAdd(block, a.Scales[t * a.BlocksPerToken + b], output);
        }
        if (panel.Format.SeparateMinimum)
        {
            for (int group = 0; group < panel.Columns / g; group++)
            {
                float q = a.Scales[t * a.BlocksPerToken + group / groupsPerBlock] * a.Sums[t * a.GroupsPerToken + group];
                output = MathF.FusedMultiplyAdd(-panel.GroupOffsetFloats[group * 16 + r], q, output);
            }
        }
        return output;
    }

    private static float BlockOutput(QuantizedPanel panel, QuantizedActivations a, int t, int r)
    {
        float output = 0;
        for (int b = 0; b < panel.Columns / 32; b++)
        {
            int c = IntegerDot(panel, a, t, r, b * 32, 32) - panel.Format.Bias * a.Sums[t * a.GroupsPerToken + b];
            output = MathF.FusedMultiplyAdd(c, panel.Scales[b * 16 + r] * a.Scales[t * a.BlocksPerToken + b], output);
            if (panel.Format.SeparateMinimum)
            {
                output = MathF.FusedMultiplyAdd(panel.MinScales[b * 16 + r], a.BlockSums[t * a.BlocksPerToken + b], output);
            }
        }
        return output;
    }
}
