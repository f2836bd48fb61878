using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GgufPs.Quantization;

/// <summary>
/// The scale searches of <see cref="QuantizerMath"/> run on 16 groups at once, one group per Vector512 lane. Each
/// lane performs exactly the scalar operations in the scalar order (sums accumulate element by element, branches
/// become per-lane selects), so the results are bit-identical to the scalar code and to ggml; only independent
/// groups share an instruction. Inputs are transposed: element i of all 16 groups is x[i].
/// </summary>
internal static class LaneFitting
{
    public const int Lanes = 16;

    // Tests switch this on for their own thread to check the scalar code that CPUs without AVX-512 run.
    [ThreadStatic]
    private static bool t_scalarOnly;

    /// <summary>True when the vector paths run: AVX-512 hardware, and not turned off for this thread by <see cref="ForceScalar"/>.</summary>
    public static bool IsSupported => Vector512.IsHardwareAccelerated && !t_scalarOnly;

    /// <summary>Runs the scalar paths on the calling thread until disposed.</summary>
    internal static IDisposable ForceScalar()
    {
        t_scalarOnly = true;
        return new ScalarScope();
    }

    private sealed class ScalarScope : IDisposable
    {
        public void Dispose() => t_scalarOnly = false;
    }

    /// <summary>nearest_int per lane: the 1.5·2^23 trick, then the mantissa bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> NearestInt(Vector512<float> value)
    {
        var shifted = (value + Vector512.Create(12582912f)).AsInt32();
        return (shifted & Vector512.Create(0x007fffff)) - Vector512.Create(0x00400000);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Clamp(Vector512<int> v, int low, int high) =>
        Vector512.Min(Vector512.Max(v, Vector512.Create(low)), Vector512.Create(high));

    /// <summary>
    /// make_qkx2_quants on 16 groups of <paramref name="n"/> values; <paramref name="levels"/> receives n vectors of
    /// levels in [0, nmax].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Qkx2(ReadOnlySpan<Vector512<float>> x, ReadOnlySpan<Vector512<float>> weights, int n, int nmax,
        Span<Vector512<int>> levels, out Vector512<float> scaleOut, out Vector512<float> theMin,
        float rmin, float rdelta, int nstep, bool useMad)
    {
        var zero = Vector512<float>.Zero;
        var nmaxF = Vector512.Create((float)nmax);
        var min = x[0];
        var max = x[0];
        var sumW = weights[0];
        var sumX = sumW * x[0];
        for (int i = 1; i < n; i++)
        {
            var xi = x[i];
            min = Vector512.ConditionalSelect(Vector512.LessThan(xi, min), xi, min);
            max = Vector512.ConditionalSelect(Vector512.GreaterThan(xi, max), xi, max);
            var w = weights[i];
            sumW += w;
            sumX += w * xi;
        }
        min = Vector512.ConditionalSelect(Vector512.GreaterThan(min, zero), zero, min);
        // ggml returns at once for a flat group; its lanes take no part in the search.
        var flat = Vector512.Equals(max, min);
        var iscale = nmaxF / (max - min);
        var scale = Vector512<float>.One / iscale;
        var bestError = zero;
        for (int i = 0; i < n; i++)
        {
            var l = Clamp(NearestInt(iscale * (x[i] - min)), 0, nmax);
            levels[i] = l;
            var diff = scale * Vector512.ConvertToSingle(l) + min - x[i];
            diff = useMad ? Vector512.Abs(diff) : diff * diff;
            bestError += weights[i] * diff;
        }
        Span<Vector512<int>> aux = stackalloc Vector512<int>[n];
        for (int step = 0; step <= nstep; step++)
        {
            // The offset is the best fit so far, so the range moves as the search improves.
            iscale = Vector512.Create(rmin + rdelta * step + nmax) / (max - min);
            var sumL = zero;
            var sumL2 = zero;
            var sumXL = zero;
            for (int i = 0; i < n; i++)
            {
                var l = Clamp(NearestInt(iscale * (x[i] - min)), 0, nmax);
                aux[i] = l;
                var lf = Vector512.ConvertToSingle(l);
                var w = weights[i];
                sumL += w * lf;
                sumL2 += w * lf * lf;
                sumXL += w * lf * x[i];
            }
            var d = sumW * sumL2 - sumL * sumL;
            var valid = Vector512.GreaterThan(d, zero) & ~flat;
            if (valid == Vector512<float>.Zero)
            {
                continue;
            }
            var thisScale = (sumW * sumXL - sumX * sumL) / d;
            var thisMin = (sumL2 * sumX - sumL * sumXL) / d;
            var positive = Vector512.GreaterThan(thisMin, zero);
            thisMin = Vector512.ConditionalSelect(positive, zero, thisMin);
            thisScale = Vector512.ConditionalSelect(positive, sumXL / sumL2, thisScale);
            var error = zero;
            for (int i = 0; i < n; i++)
            {
                var diff = thisScale * Vector512.ConvertToSingle(aux[i]) + thisMin - x[i];
                diff = useMad ? Vector512.Abs(diff) : diff * diff;
                error += weights[i] * diff;
            }
            var better = valid & Vector512.LessThan(error, bestError);
            if (better == Vector512<float>.Zero)
            {
                continue;
            }
            var betterInt = better.AsInt32();
            for (int i = 0; i < n; i++)
            {
                levels[i] = Vector512.ConditionalSelect(betterInt, aux[i], levels[i]);
            }
            bestError = Vector512.ConditionalSelect(better, error, bestError);
            scale = Vector512.ConditionalSelect(better, thisScale, scale);
            min = Vector512.ConditionalSelect(better, thisMin, min);
        }
        if (flat != Vector512<float>.Zero)
        {
            var flatInt = flat.AsInt32();
            for (int i = 0; i < n; i++)
            {
                levels[i] = Vector512.ConditionalSelect(flatInt, Vector512<int>.Zero, levels[i]);
            }
            scale = Vector512.ConditionalSelect(flat, zero, scale);
        }
        scaleOut = scale;
        theMin = -min;
    }

    /// <summary>
    /// make_qx_quants with rmse_type 1 and explicit weights on 16 groups of <paramref name="n"/>; levels are offset
    /// by nmax as in ggml.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Vector512<float> QxWeighted(ReadOnlySpan<Vector512<float>> x, ReadOnlySpan<Vector512<float>> weights, int n, int nmax,
        Span<Vector512<int>> levels)
    {
        var zero = Vector512<float>.Zero;
        var max = zero;
        var amax = zero;
        for (int i = 0; i < n; i++)
        {
            var ax = Vector512.Abs(x[i]);
            var larger = Vector512.GreaterThan(ax, amax);
            amax = Vector512.ConditionalSelect(larger, ax, amax);
            max = Vector512.ConditionalSelect(larger, x[i], max);
        }
        var allZero = Vector512.LessThan(amax, Vector512.Create(QuantizerMath.GroupMaxEps));
        var iscale = Vector512.Create((float)-nmax) / max;
        var sumlx = zero;
        var suml2 = zero;
        for (int i = 0; i < n; i++)
        {
            var l = Clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1);
            levels[i] = l + Vector512.Create(nmax);
            var lf = Vector512.ConvertToSingle(l);
            var w = weights[i];
            sumlx += w * x[i] * lf;
            suml2 += w * lf * lf;
        }
        var scale = Vector512.ConditionalSelect(Vector512.Equals(suml2, zero), zero, sumlx / suml2);
        var best = scale * sumlx;
        for (int step = -9; step <= 9; step++)
        {
            if (step == 0)
            {
                continue;
            }
            iscale = Vector512.Create(-(nmax + 0.1f * step)) / max;
            sumlx = suml2 = zero;
            for (int i = 0; i < n; i++)
            {
                var lf = Vector512.ConvertToSingle(Clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1));
                var w = weights[i];
                sumlx += w * x[i] * lf;
                suml2 += w * lf * lf;
            }
            var better = Vector512.GreaterThan(suml2, zero) & Vector512.GreaterThan(sumlx * sumlx, best * suml2);
            if (better == Vector512<float>.Zero)
            {
                continue;
            }
            var betterInt = better.AsInt32();
            for (int i = 0; i < n; i++)
            {
                var l = Clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1) + Vector512.Create(nmax);
                levels[i] = Vector512.ConditionalSelect(betterInt, l, levels[i]);
            }
            var newScale = sumlx / suml2;
            scale = Vector512.ConditionalSelect(better, newScale, scale);
            best = Vector512.ConditionalSelect(better, newScale * sumlx, best);
        }
        if (allZero != Vector512<float>.Zero)
        {
            var zeroInt = allZero.AsInt32();
            for (int i = 0; i < n; i++)
            {
                levels[i] = Vector512.ConditionalSelect(zeroInt, Vector512<int>.Zero, levels[i]);
            }
            scale = Vector512.ConditionalSelect(allZero, zero, scale);
        }
        return scale;
    }

    /// <summary>make_qkx3_quants on 16 groups: <see cref="Qkx2"/> with importance weights and guarded candidate levels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Qkx3(ReadOnlySpan<Vector512<float>> x, ReadOnlySpan<Vector512<float>> weights, int n, int nmax,
        Span<Vector512<int>> levels, out Vector512<float> scaleOut, out Vector512<float> theMin,
        float rmin, float rdelta, int nstep, bool useMad)
    {
        var zero = Vector512<float>.Zero;
        var nmaxF = Vector512.Create((float)nmax);
        var min = x[0];
        var max = x[0];
        var sumW = weights[0];
        var sumX = sumW * x[0];
        for (int i = 1; i < n; i++)
        {
            var xi = x[i];
            min = Vector512.ConditionalSelect(Vector512.LessThan(xi, min), xi, min);
            max = Vector512.ConditionalSelect(Vector512.GreaterThan(xi, max), xi, max);
            var w = weights[i];
            sumW += w;
            sumX += w * xi;
        }
        min = Vector512.ConditionalSelect(Vector512.GreaterThan(min, zero), zero, min);
        var flat = Vector512.LessThanOrEqual(max, min);
        var iscale = nmaxF / (max - min);
        var scale = Vector512<float>.One / iscale;
        var bestMad = zero;
        for (int i = 0; i < n; i++)
        {
            var l = Clamp(NearestInt(iscale * (x[i] - min)), 0, nmax);
            levels[i] = l;
            var diff = scale * Vector512.ConvertToSingle(l) + min - x[i];
            diff = useMad ? Vector512.Abs(diff) : diff * diff;
            bestMad += weights[i] * diff;
        }
        Span<Vector512<int>> aux = stackalloc Vector512<int>[n];
        for (int step = 0; step <= nstep; step++)
        {
            iscale = Vector512.Create(rmin + rdelta * step + nmax) / (max - min);
            var sumL = zero;
            var sumL2 = zero;
            var sumXL = zero;
            for (int i = 0; i < n; i++)
            {
                var v = iscale * (x[i] - min);
                // ggml: v > 0 ? nearest_int(MIN(v, nmax)) : 0, which also keeps NaN and infinity out.
                var capped = Vector512.ConditionalSelect(Vector512.LessThan(v, nmaxF), v, nmaxF);
                var l = Vector512.ConditionalSelect(Vector512.GreaterThan(v, zero).AsInt32(), NearestInt(capped), Vector512<int>.Zero);
                aux[i] = l;
                var lf = Vector512.ConvertToSingle(l);
                var w = weights[i];
                sumL += w * lf;
                sumL2 += w * lf * lf;
                sumXL += w * lf * x[i];
            }
            var d = sumW * sumL2 - sumL * sumL;
            var valid = Vector512.GreaterThan(d, zero) & ~flat;
            if (valid == Vector512<float>.Zero)
            {
                continue;
            }
            var thisScale = (sumW * sumXL - sumX * sumL) / d;
            var thisMin = (sumL2 * sumX - sumL * sumXL) / d;
            var positive = Vector512.GreaterThan(thisMin, zero);
            thisMin = Vector512.ConditionalSelect(positive, zero, thisMin);
            thisScale = Vector512.ConditionalSelect(positive, sumXL / sumL2, thisScale);
            var mad = zero;
            for (int i = 0; i < n; i++)
            {
                var diff = thisScale * Vector512.ConvertToSingle(aux[i]) + thisMin - x[i];
                diff = useMad ? Vector512.Abs(diff) : diff * diff;
                mad += weights[i] * diff;
            }
            var better = valid & Vector512.LessThan(mad, bestMad);
            if (better == Vector512<float>.Zero)
            {
                continue;
            }
            var betterInt = better.AsInt32();
            for (int i = 0; i < n; i++)
            {
                levels[i] = Vector512.ConditionalSelect(betterInt, aux[i], levels[i]);
            }
            bestMad = Vector512.ConditionalSelect(better, mad, bestMad);
            scale = Vector512.ConditionalSelect(better, thisScale, scale);
            min = Vector512.ConditionalSelect(better, thisMin, min);
        }
        if (flat != Vector512<float>.Zero)
        {
            var flatInt = flat.AsInt32();
            for (int i = 0; i < n; i++)
            {
                levels[i] = Vector512.ConditionalSelect(flatInt, Vector512<int>.Zero, levels[i]);
            }
            scale = Vector512.ConditionalSelect(flat, zero, scale);
        }
        scaleOut = scale;
        theMin = -min;
    }

    /// <summary>make_q3_quants with do_rmse on 16 groups: x²-weighted coordinate descent; levels offset by nmax.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Vector512<float> Q3(ReadOnlySpan<Vector512<float>> x, int n, int nmax, Span<Vector512<int>> levels)
    {
        var zero = Vector512<float>.Zero;
        var max = zero;
        var amax = zero;
        for (int i = 0; i < n; i++)
        {
            var ax = Vector512.Abs(x[i]);
            var larger = Vector512.GreaterThan(ax, amax);
            amax = Vector512.ConditionalSelect(larger, ax, amax);
            max = Vector512.ConditionalSelect(larger, x[i], max);
        }
        var allZero = Vector512.LessThan(amax, Vector512.Create(QuantizerMath.GroupMaxEps));
        var iscale = Vector512.Create((float)-nmax) / max;
        var sumlx = zero;
        var suml2 = zero;
        for (int i = 0; i < n; i++)
        {
            var l = Clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1);
            levels[i] = l;
            var lf = Vector512.ConvertToSingle(l);
            var w = x[i] * x[i];
            sumlx += w * x[i] * lf;
            suml2 += w * lf * lf;
        }
        // A lane stops searching after a pass that changes nothing, as ggml breaks out of its loop.
        var active = ~allZero;
        for (int attempt = 0; attempt < 5 && active != Vector512<float>.Zero; attempt++)
        {
            var changed = zero;
            for (int i = 0; i < n; i++)
            {
                var w = x[i] * x[i];
                var li = Vector512.ConvertToSingle(levels[i]);
                var slx = sumlx - w * x[i] * li;
                var sl2 = suml2 - w * li * li;
                var newL = Clamp(NearestInt(x[i] * sl2 / slx), -nmax, nmax - 1);
                var newLf = Vector512.ConvertToSingle(newL);
                var slx2 = slx + w * x[i] * newLf;
                var sl22 = sl2 + w * newLf * newLf;
                var take = active & Vector512.GreaterThan(slx, zero) & ~Vector512.Equals(newL, levels[i]).AsSingle()
                    & Vector512.GreaterThan(sl22, zero) & Vector512.GreaterThan(slx2 * slx2 * suml2, sumlx * sumlx * sl22);
                if (take == Vector512<float>.Zero)
                {
                    continue;
                }
                levels[i] = Vector512.ConditionalSelect(take.AsInt32(), newL, levels[i]);
                sumlx = Vector512.ConditionalSelect(take, slx2, sumlx);
                suml2 = Vector512.ConditionalSelect(take, sl22, suml2);
                changed |= take;
            }
            active &= changed;
        }
        var offset = Vector512.Create(nmax);
        for (int i = 0; i < n; i++)
        {
            levels[i] = Vector512.ConditionalSelect(allZero.AsInt32(), Vector512<int>.Zero, levels[i] + offset);
        }
        var scale = Vector512.ConditionalSelect(Vector512.GreaterThan(suml2, zero), sumlx / suml2, zero);
        return Vector512.ConditionalSelect(allZero, zero, scale);
    }

    /// <summary>Gathers element i of up to 16 groups of <paramref name="n"/> consecutive values (group g at g·stride) into x[i]; missing groups read as zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Transpose(ReadOnlySpan<float> source, int n, int stride, int groups, Span<Vector512<float>> x)
    {
        if (groups == Lanes && System.Runtime.Intrinsics.X86.Avx2.IsSupported)
        {
            var low = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * Vector256.Create(stride);
            var high = low + Vector256.Create(8 * stride);
            fixed (float* p = source)
            {
                for (int i = 0; i < n; i++)
                {
                    x[i] = Vector512.Create(
                        System.Runtime.Intrinsics.X86.Avx2.GatherVector256(p + i, low, 4),
                        System.Runtime.Intrinsics.X86.Avx2.GatherVector256(p + i, high, 4));
                }
            }
            return;
        }
        Span<float> lane = stackalloc float[Lanes];
        for (int i = 0; i < n; i++)
        {
            lane.Clear();
            for (int g = 0; g < groups; g++)
            {
                lane[g] = source[g * stride + i];
            }
            x[i] = Vector512.Create<float>(lane);
        }
    }

    /// <summary>A C cast of float to a narrow integer on x86: truncation, 0x80000000 when out of range or NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> TruncateToInt32(Vector512<float> value) => Vector512.ConvertToInt32Native(value);

    /// <summary>The low byte of each lane, sign-extended: what storing an int into an int8_t keeps.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> LowByteSigned(Vector512<int> value) => Vector512.ShiftRightArithmetic(Vector512.ShiftLeft(value, 24), 24);

    /// <summary>C's roundf: to nearest, halves away from zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> RoundAwayFromZero(Vector512<float> value)
    {
        var truncated = Vector512.Truncate(value);
        var away = Vector512.GreaterThanOrEqual(Vector512.Abs(value - truncated), Vector512.Create(0.5f));
        var step = Vector512.ConditionalSelect(Vector512.Create(-0.0f), value, Vector512<float>.One);
        return Vector512.ConditionalSelect(away, truncated + step, truncated);
    }

    private static readonly Vector512<float> Iq4Values = Vector512.Create(-127f, -104f, -83f, -65f, -49f, -35f, -22f, -10f, 1f, 13f, 25f, 38f, 53f, 69f, 89f, 113f);

    /// <summary>best_index_int8 over the IQ4_NL grid, per lane (see <see cref="QuantizerMath.BestIndexInt8"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Vector512<int> BestIndexIq4(Vector512<float> x)
    {
        var count = Vector512<int>.Zero;
        for (int j = 1; j < 16; j++)
        {
            count -= Vector512.GreaterThanOrEqual(x, Vector512.Create(Iq4Values.GetElement(j))).AsInt32();
        }
        // Between the ends: values[lower] <= x < values[lower + 1]; the lower one wins only when strictly nearer.
        var lower = Vector512.Min(count, Vector512.Create(14));
        var upper = lower + Vector512<int>.One;
        var below = Vector512.Shuffle(Iq4Values, lower);
        var above = Vector512.Shuffle(Iq4Values, upper);
        var pick = Vector512.ConditionalSelect(Vector512.LessThan(x - below, above - x).AsInt32(), lower, upper);
        pick = Vector512.ConditionalSelect(Vector512.LessThanOrEqual(x, Vector512.Create(-127f)).AsInt32(), Vector512<int>.Zero, pick);
        var top = Vector512.GreaterThanOrEqual(x, Vector512.Create(113f)) | ~Vector512.Equals(x, x);
        return Vector512.ConditionalSelect(top.AsInt32(), Vector512.Create(15), pick);
    }

    /// <summary>The IQ4_NL grid value of each index.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Iq4Value(Vector512<int> index) => Vector512.Shuffle(Iq4Values, index);

    /// <summary>Loads a block of 32 values as two vectors; false when one is NaN (then only the scalar code reproduces ggml).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryLoad32(ReadOnlySpan<float> block, out Vector512<float> low, out Vector512<float> high)
    {
        low = Vector512.Create(block[..16]);
        high = Vector512.Create(block.Slice(16, 16));
        return Vector512.EqualsAll(low, low) && Vector512.EqualsAll(high, high);
    }

    /// <summary>The largest value of two NaN-free vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vector512<float> a, Vector512<float> b)
    {
        var m = Vector512.Max(a, b);
        var m256 = Vector256.Max(m.GetLower(), m.GetUpper());
        var m128 = Vector128.Max(m256.GetLower(), m256.GetUpper());
        m128 = Vector128.Max(m128, Vector128.Shuffle(m128, Vector128.Create(2, 3, 0, 1)));
        m128 = Vector128.Max(m128, Vector128.Shuffle(m128, Vector128.Create(1, 0, 3, 2)));
        return m128.ToScalar();
    }

    /// <summary>The smallest value of two NaN-free vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MinAcross(Vector512<float> a, Vector512<float> b) => -MaxAcross(-a, -b);

    /// <summary>The index (0..31) of the first of 32 values equal to <paramref name="value"/>, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int FirstIndexOf(Vector512<float> low, Vector512<float> high, float value)
    {
        var v = Vector512.Create(value);
        ulong bits = Vector512.Equals(low, v).ExtractMostSignificantBits() | (Vector512.Equals(high, v).ExtractMostSignificantBits() << 16);
        return bits == 0 ? -1 : System.Numerics.BitOperations.TrailingZeroCount(bits);
    }

    /// <summary>16 ints narrowed to their low bytes and stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreLowBytes(Vector512<int> value, Span<byte> destination)
    {
        var shorts = Vector512.Narrow(value, value);
        var bytes = Vector512.Narrow(shorts, shorts);
        bytes.AsByte().GetLower().GetLower().CopyTo(destination);
    }

    /// <summary>Element <paramref name="index"/> (0..31) of a block held in two vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ElementOf32(Vector512<float> low, Vector512<float> high, int index) =>
        index < 16 ? low.GetElement(index) : high.GetElement(index - 16);

    /// <summary>
    /// Writes the nibbles of 16 transposed groups of levels: group g goes to block g / groupsPerBlock (blocks of
    /// <paramref name="blockBytes"/>), at <paramref name="offset"/> plus 16 bytes per earlier group of that block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackNibbles(ReadOnlySpan<Vector512<int>> levels, int groups, Span<byte> destination, int blockBytes, int groupsPerBlock, int offset)
    {
        Span<int> packed = stackalloc int[16 * Lanes];
        for (int j = 0; j < 16; j++)
        {
            (levels[j] | (levels[j + 16] << 4)).CopyTo(packed.Slice(j * Lanes, Lanes));
        }
        for (int g = 0; g < groups; g++)
        {
            var q4 = destination.Slice(g / groupsPerBlock * blockBytes + offset + g % groupsPerBlock * 16, 16);
            for (int j = 0; j < 16; j++)
            {
                q4[j] = (byte)packed[j * Lanes + g];
            }
        }
    }

    /// <summary>Bit i of lane g is bit 4 of level i of group g: the fifth bits of 32 transposed levels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Vector512<int> HighBits(ReadOnlySpan<Vector512<int>> levels)
    {
        var bits = Vector512<int>.Zero;
        for (int i = 0; i < 32; i++)
        {
            bits |= ((levels[i] >> 4) & Vector512<int>.One) << i;
        }
        return bits;
    }

    /// <summary>
    /// Swaps lanes and elements of a 16×16 block of ints: lane g of <paramref name="lanes"/>[i] becomes lane i of
    /// <paramref name="groups"/>[g], turning per-element vectors (one group per lane) into per-group vectors.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void TransposeSquare(ReadOnlySpan<Vector512<int>> lanes, Span<Vector512<int>> groups)
    {
        int* buffer = stackalloc int[Lanes * Lanes];
        for (int i = 0; i < Lanes; i++)
        {
            lanes[i].Store(buffer + Lanes * i);
        }
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported)
        {
            var low = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * Vector256.Create(Lanes);
            var high = low + Vector256.Create(8 * Lanes);
            for (int g = 0; g < Lanes; g++)
            {
                groups[g] = Vector512.Create(
                    System.Runtime.Intrinsics.X86.Avx2.GatherVector256(buffer + g, low, 4),
                    System.Runtime.Intrinsics.X86.Avx2.GatherVector256(buffer + g, high, 4));
            }
            return;
        }
        int* column = stackalloc int[Lanes];
        for (int g = 0; g < Lanes; g++)
        {
            for (int i = 0; i < Lanes; i++)
            {
                column[i] = buffer[Lanes * i + g];
            }
            groups[g] = Vector512.Load(column);
        }
    }

    /// <summary>
    /// The 2-bit packing of Q2_K and Q3_K from 16 groups of 16 levels (each in 0..3): byte l of each 32-byte half
    /// holds element l of the groups 8h+0/1, 8h+2/3, 8h+4/5, 8h+6/7 in bits 0, 2, 4 and 6.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackTwoBitGroups(ReadOnlySpan<Vector512<int>> groups, Span<byte> quants)
    {
        for (int h = 0; h < 2; h++)
        {
            for (int odd = 0; odd < 2; odd++)
            {
                int g = 8 * h + odd;
                var packed = groups[g] | (groups[g + 2] << 2) | (groups[g + 4] << 4) | (groups[g + 6] << 6);
                StoreLowBytes(packed, quants.Slice(32 * h + 16 * odd, 16));
            }
        }
    }
}
