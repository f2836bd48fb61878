using GgufPs.Inference;
using GgufPs.Quantization;

namespace GgufPs.Tests.Inference;

/// <summary>The integer kernels give the products of the dequantized weights with the quantized activations.</summary>
public unsafe class Int8GemmTests
{
    public static TheoryData<string> Types() => new() { "Q8_0", "Q4_0", "Q5_0", "Q4_1", "Q5_1", "IQ4_NL", "IQ4_XS", "Q4_K", "Q5_K", "Q6_K", "Q3_K", "Q2_K" };

    [Theory]
    [MemberData(nameof(Types))]
    public void AgreesWithTheFloatKernelOnQuantizedActivations(string name)
    {
        var type = Enum.Parse<GgmlType>(name);
        if (!Int8Gemm.Handles(type))
        {
            return; // No AVX-VNNI here: the float kernel runs these types.
        }
        const int rows = 37, columns = 512, tokens = 7;
        using var dir = new TempDirectory();
        string path = dir.File("m.gguf");
        var random = new Random(3);
        var format = BlockFormats.Get(type);
        using (var writer = new GgufWriter(path))
        {
            writer.WriteHeader([GgufMetadataEntry.Create("general.architecture", "test")], [new GgufTensorDescriptor("w", type, [columns, rows])]);
            var values = new float[columns];
            var bytes = new byte[format.RowBytes(columns)];
            for (int r = 0; r < rows; r++)
            {
                for (int i = 0; i < columns; i++)
                {
                    values[i] = (float)((random.NextDouble() - 0.5) * (1 + r % 5));
                }
                format.Quantize(values, 1, columns, bytes);
                writer.WriteTensorData(bytes);
            }
            writer.Commit();
        }
        using var file = GgufFile.Open(path);
        var w = new WeightMatrix(file, file.Tensors[0]);
        var x = new float[tokens * columns];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)((random.NextDouble() - 0.5) * 4);
        }
        var rounded = new float[x.Length];
        ActivationRounding.Round(w.ActivationFormat, x, rounded, columns);
        var expected = new float[tokens * rows];
        var actual = new float[tokens * rows];
        fixed (float* xp = x, rp = rounded, e = expected, a = actual)
        {
            FloatGemm.Multiply(w, rp, tokens, e, rows, 2);
            Int8Gemm.Multiply(w, xp, tokens, a, rows, 2);
        }
        double scale = expected.Max(Math.Abs);
        // Q4_1 and Q5_1 take the activation sums ggml keeps in F16 (block_q8_1.s), which the float path does not round.
        double tolerance = type is GgmlType.Q4_1 or GgmlType.Q5_1 ? 2e-3 : 2e-5;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * scale, $"{name} output {i}: {expected[i]:R} vs {actual[i]:R}");
        }
    }
}
