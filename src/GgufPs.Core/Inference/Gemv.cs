namespace GgufPs.Inference;

/// <summary>
/// y = W·x for one token, the decode step's matrix-vector products. Each weight is read once, in its stored block
/// format, with no unpacking into panels: the token is quantized once per matrix (Q8_K or Q8_0, as ggml's
/// vec_dot_type), and each row's bytes meet it directly, several rows at a time (<see cref="GemvAvx2"/>,
/// <see cref="GemvVector128"/>, <see cref="GemvLowBitsAvx2"/>, <see cref="GemvLowBitsVector128"/>, <see cref="GemvLegacyQuantsAvx2"/>,
/// <see cref="GemvLegacyQuantsVector128"/>, <see cref="GemvNonLinearAvx2"/>, <see cref="GemvNonLinearVector128"/>, <see cref="GemvHalf"/>). Every output takes the float steps of the batched path
/// (<see cref="Int8Gemm"/>, <see cref="FloatGemm"/>) in the same order, so a token decoded alone gets the bits it
/// would get in a batch, as in llama.cpp, whose batch-1 products use the same vec_dot. The rows are split across
/// a <see cref="WorkerTeam"/>.
/// </summary>
internal static unsafe class Gemv
{
    /// <summary>Items a worker's share of a product is cut into, so that a late worker delays the end little.</summary>
    private const int ItemsPerWorker = 16;

    /// <summary>Whether a product with <paramref name="w"/> has a batch-1 kernel here.</summary>
    public static bool Handles(WeightMatrix w) => Handles(w, KernelSupport.Int8, KernelSupport.FloatWidth);

    internal static bool Handles(WeightMatrix w, Int8Kernel kernel, VectorWidth width) => w.Type switch
    {
        GgmlType.F16 => w.Columns % 16 == 0 && w.Rows >= GemvHalf.Rows,
        // Every type of the int8 path has a batch-1 kernel.
        _ => Int8Format.For(w.Type) is not null
            && kernel != Int8Kernel.None && KernelSupport.Supports(kernel) && w.Rows >= RowGroup(kernel),
    };

    /// <summary>
    /// y[n] = Σₖ W[n, k]·x[k] with the engine's kernels; x is the token's floats, already rounded to F16 for an F16
    /// matrix, and quantized here (into <paramref name="activations"/>) for a quantized one.
    /// </summary>
    public static void Multiply(WeightMatrix w, float* x, float* y, DecodeActivations activations, WorkerTeam team) =>
        Multiply(w, x, y, activations, team, KernelSupport.Int8, KernelSupport.FloatWidth);

    /// <summary>The same with the kernels of one tier (tests compare them).</summary>
    internal static void Multiply(WeightMatrix w, float* x, float* y, DecodeActivations activations, WorkerTeam team, Int8Kernel kernel, VectorWidth width)
    {
        if (!Handles(w, kernel, width))
        {
            throw new NotSupportedException($"{w.Type} has no batch-1 kernel for {kernel}.");
        }
        int group;
        if (w.Type == GgmlType.F16)
        {
            group = GemvHalf.Rows;
        }
        else
        {
            var format = Int8Format.For(w.Type)!;
            activations.Quantize(x, w.Columns, format.KQuant, format.GroupSize);
            group = RowGroup(kernel);
        }
        int groups = (w.Rows + group - 1) / group;
        int items = Math.Min(groups, team.Size == 1 ? 1 : team.Size * ItemsPerWorker);
        var type = w.Type;
        team.Run(items, (item, _) =>
        {
            int from = (int)((long)groups * item / items);
            int to = (int)((long)groups * (item + 1) / items);
            for (int g = from; g < to; g++)
            {
                // The last group ends at the last row, overlapping the one before when the rows are not a multiple
                // of the group: those rows are computed twice, to the same bits.
                int first = Math.Min(g * group, w.Rows - group);
                Rows(w, type, first, x, y + first, activations, kernel, width);
            }
        });
    }

    /// <summary>
    /// One row group of the engine's kernels from <paramref name="first"/>, x already quantized into
    /// <paramref name="a"/> (or rounded, for F16); the benchmark times the kernels on rows that stay in the cache.
    /// </summary>
    internal static void Rows(WeightMatrix w, int first, float* x, float* y, DecodeActivations a) =>
        Rows(w, w.Type, first, x, y, a, KernelSupport.Int8, KernelSupport.FloatWidth);

    /// <summary>The rows <see cref="Rows(WeightMatrix, int, float*, float*, DecodeActivations)"/> computes.</summary>
    internal static int RowGroup(WeightMatrix w) => w.Type == GgmlType.F16 ? GemvHalf.Rows : RowGroup(KernelSupport.Int8);

    private static void Rows(WeightMatrix w, GgmlType type, int first, float* x, float* y, DecodeActivations a, Int8Kernel kernel, VectorWidth width)
    {
        if (type == GgmlType.F16)
        {
            GemvHalf.FourRows(w, first, x, y, width);
            return;
        }
        if (kernel == Int8Kernel.Vector128)
        {
            switch (type)
            {
                case GgmlType.Q8_0: GemvVector128.Q8_0(w, first, a, y); break;
                case GgmlType.Q4_K: GemvVector128.Q4_K(w, first, a, y); break;
                case GgmlType.Q5_K: GemvVector128.Q5_K(w, first, a, y); break;
                case GgmlType.Q6_K: GemvVector128.Q6_K(w, first, a, y); break;
                case GgmlType.Q3_K: GemvLowBitsVector128.Q3_K(w, first, a, y); break;
                case GgmlType.Q2_K: GemvLowBitsVector128.Q2_K(w, first, a, y); break;
                case GgmlType.IQ4_NL: GemvNonLinearVector128.IQ4_NL(w, first, a, y); break;
                case GgmlType.IQ4_XS: GemvNonLinearVector128.IQ4_XS(w, first, a, y); break;
                default: GemvLegacyQuantsVector128.Multiply(w, first, a, y); break;
            }
            return;
        }
        bool vnni = kernel == Int8Kernel.AvxVnni;
        switch (type)
        {
            case GgmlType.Q8_0: GemvAvx2.Q8_0(w, first, a, y, vnni); break;
            case GgmlType.Q4_K: GemvAvx2.Q4_K(w, first, a, y, vnni); break;
            case GgmlType.Q5_K: GemvAvx2.Q5_K(w, first, a, y, vnni); break;
            case GgmlType.Q6_K: GemvAvx2.Q6_K(w, first, a, y, vnni); break;
            case GgmlType.Q3_K: GemvLowBitsAvx2.Q3_K(w, first, a, y, vnni); break;
            case GgmlType.Q2_K: GemvLowBitsAvx2.Q2_K(w, first, a, y, vnni); break;
            case GgmlType.IQ4_NL: GemvNonLinearAvx2.IQ4_NL(w, first, a, y, vnni); break;
            case GgmlType.IQ4_XS: GemvNonLinearAvx2.IQ4_XS(w, first, a, y, vnni); break;
            default: GemvLegacyQuantsAvx2.Multiply(w, first, a, y, vnni); break;
        }
    }

    /// <summary>
    /// The rows a kernel tier takes at once: eight with 256-bit integers (AVX-VNNI, and AVX2 also where AVX-512BW is
    /// the batched kernel), four with 128-bit ones.
    /// </summary>
    private static int RowGroup(Int8Kernel kernel) => kernel == Int8Kernel.Vector128 ? GemvVector128.Rows : GemvAvx2.Rows;
}
