using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GgufPs.Quantization;

/// <summary>
/// One grid of the IQ formats with the tables iq2xs_init_impl and iq3xs_init_impl build from it: each point's
/// coordinates (2·level + 1), a map from every packed level combination to its grid index, and, for combinations off
/// the grid, the grid points ggml tries instead: all those at the smallest few squared distances, ordered by distance
/// and then by index. The lists must be ggml's exactly, in its order, because the first of equally good candidates
/// wins. Each grid is built once, on first use, and is then shared by all threads.
/// </summary>
internal sealed class LatticeGrid
{
    private static readonly Lazy<LatticeGrid> s_iq2Xxs = new(() => new LatticeGrid(LatticeGridCodes.Iq2XxsCodes, 8, 2, 2));
    private static readonly Lazy<LatticeGrid> s_iq2Xs = new(() => new LatticeGrid(LatticeGridCodes.Iq2XsCodes, 8, 2, 2));
    private static readonly Lazy<LatticeGrid> s_iq2S = new(() => new LatticeGrid(LatticeGridCodes.Iq2SCodes, 8, 2, 1));
    private static readonly Lazy<LatticeGrid> s_iq1 = new(() => new LatticeGrid(LatticeGridCodes.Iq1Codes, 8, 2, 3));
    private static readonly Lazy<LatticeGrid> s_iq3Xxs = new(() => new LatticeGrid(LatticeGridCodes.Iq3XxsCodes, 4, 3, 2));
    private static readonly Lazy<LatticeGrid> s_iq3S = new(() => new LatticeGrid(LatticeGridCodes.Iq3SCodes, 4, 3, 3));

    public static LatticeGrid Iq2Xxs => s_iq2Xxs.Value;
    public static LatticeGrid Iq2Xs => s_iq2Xs.Value;
    public static LatticeGrid Iq2S => s_iq2S.Value;

    /// <summary>The grid of IQ1_S and IQ1_M.</summary>
    public static LatticeGrid Iq1 => s_iq1.Value;
    public static LatticeGrid Iq3Xxs => s_iq3Xxs.Value;
    public static LatticeGrid Iq3S => s_iq3S.Value;

    private readonly sbyte[] _points;
    private readonly int[] _map;
    private readonly ushort[] _neighbours;
    private readonly int[] _listStarts;

    // Each candidate list's coordinates again, transposed (coordinate i of all candidates together, padded to a
    // multiple of 8 by repeating the last candidate) so that the search scores 8 candidates per vector. Padding never
    // wins: a repeat comes after the original and the first of equal distances is kept.
    private readonly sbyte[] _candidateCoordinates;
    private readonly int[] _coordinateOffsets;

    /// <param name="codes">The kgrid table.</param>
    /// <param name="dimensions">Coordinates per point (8 or 4).</param>
    /// <param name="bits">Bits per coordinate in a code (2 or 3).</param>
    /// <param name="distances">How many of the smallest distinct distances the neighbour lists take (ggml's nwant).</param>
    private LatticeGrid(ReadOnlySpan<ushort> codes, int dimensions, int bits, int distances)
    {
        Size = codes.Length;
        Dimensions = dimensions;
        Bits = bits;
        int mask = (1 << bits) - 1;
        _points = new sbyte[Size * dimensions];
        for (int k = 0; k < Size; k++)
        {
            for (int i = 0; i < dimensions; i++)
            {
                _points[k * dimensions + i] = (sbyte)(2 * ((codes[k] >> bits * i) & mask) + 1);
            }
        }
        // ggml's kmap_size: for 2 bits every code up to all coordinates at level 2 (0xAAAA), for 3 bits all codes.
        int mapSize = bits == 2 ? 43692 : 4096;
        _map = new int[mapSize];
        Array.Fill(_map, -1);
        for (int k = 0; k < Size; k++)
        {
            _map[codes[k]] = k;
        }
        (_neighbours, _listStarts) = BuildNeighbourLists(mapSize, mask, distances);
        (_candidateCoordinates, _coordinateOffsets) = TransposeCandidates();
    }

    /// <summary>Points in the grid.</summary>
    public int Size { get; }

    /// <summary>Coordinates per point: 8 for the 2-bit grids, 4 for the 3-bit ones.</summary>
    public int Dimensions { get; }

    /// <summary>Bits per coordinate in a packed code.</summary>
    public int Bits { get; }

    /// <summary>The coordinates (2·level + 1) of point <paramref name="index"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<sbyte> Point(int index) => _points.AsSpan(index * Dimensions, Dimensions);

    /// <summary>The grid index of a packed level combination, or false when it is off the grid.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGetIndex(int code, out int index)
    {
        index = (uint)code < (uint)_map.Length ? _map[code] : -1;
        return index >= 0;
    }

    /// <summary>Packs levels (one per coordinate) into a code, coordinate 0 in the low bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Code(ReadOnlySpan<sbyte> levels)
    {
        int code = 0;
        for (int i = 0; i < Dimensions; i++)
        {
            code |= levels[i] << Bits * i;
        }
        // ggml keeps codes in a uint16_t.
        return code & 0xFFFF;
    }

    /// <summary>The candidates ggml tries for an off-grid code.</summary>
    public ReadOnlySpan<ushort> Neighbours(int code)
    {
        int offset = _listStarts[-_map[code] - 1];
        return _neighbours.AsSpan(offset + 1, _neighbours[offset]);
    }

    /// <summary>
    /// iq2_find_best_neighbour / iq3_find_best_neighbour: of the off-grid code's candidates, the one nearest to
    /// <paramref name="xval"/> at <paramref name="scale"/> by weighted squared distance (the first on ties). Its levels
    /// go to <paramref name="levels"/>.
    /// </summary>
    public int BestNeighbour(int code, ReadOnlySpan<float> xval, ReadOnlySpan<float> weight, float scale, Span<sbyte> levels) =>
        Search(code, xval, weight, scale, default, levels);

    /// <summary>
    /// iq1_find_best_neighbour2: like <see cref="BestNeighbour"/>, but a level stands for <paramref name="values"/>[level]
    /// (IQ1's shifted ternary values) rather than 2·level + 1.
    /// </summary>
    /// <remarks>
    /// When every distance overflows, ggml goes on to scan the whole grid, with an indexing slip that reads past the
    /// group, and in practice aborts; here that is the same error as for the other searches.
    /// </remarks>
    public int BestShiftedNeighbour(int code, ReadOnlySpan<float> xval, ReadOnlySpan<float> weight, float scale, ReadOnlySpan<float> values, Span<sbyte> levels) =>
        Search(code, xval, weight, scale, values, levels);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Search(int code, ReadOnlySpan<float> xval, ReadOnlySpan<float> weight, float scale, ReadOnlySpan<float> values, Span<sbyte> levels)
    {
        var candidates = Neighbours(code);
        int listIndex = -_map[code] - 1;
        int padded = (candidates.Length + 7) & ~7;
        var coordinates = _candidateCoordinates.AsSpan(_coordinateOffsets[listIndex], padded * Dimensions);
        var scaleV = Vector256.Create(scale);
        bool shifted = !values.IsEmpty;
        var one = Vector256.Create(1f);
        var three = Vector256.Create(3f);
        var v0 = shifted ? Vector256.Create(values[0]) : default;
        var v1 = shifted ? Vector256.Create(values[1]) : default;
        var v2 = shifted ? Vector256.Create(values[2]) : default;
        // Each lane keeps its smallest distance and where it was; a strict < keeps the first of equals, as the scalar
        // loop does, and the lanes are then reduced to the smallest distance at the earliest position. No branch
        // depends on the distances, which would mispredict on these short lists.
        var bestDistances = Vector256.Create(float.MaxValue);
        var bestPositions = Vector256.Create(int.MaxValue);
        var positions = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        var eight = Vector256.Create(8);
        for (int start = 0; start < padded; start += 8)
        {
            // Each lane adds its coordinates' terms in coordinate order, as the scalar loop does.
            var d2 = Vector256<float>.Zero;
            for (int i = 0; i < Dimensions; i++)
            {
                var q = Coordinates8(coordinates.Slice(i * padded + start, 8));
                if (shifted)
                {
                    q = Vector256.ConditionalSelect(Vector256.Equals(q, one), v0, Vector256.ConditionalSelect(Vector256.Equals(q, three), v1, v2));
                }
                var diff = scaleV * q - Vector256.Create(xval[i]);
                d2 += Vector256.Create(weight[i]) * diff * diff;
            }
            var less = Vector256.LessThan(d2, bestDistances);
            bestDistances = Vector256.ConditionalSelect(less, d2, bestDistances);
            bestPositions = Vector256.ConditionalSelect(less.AsInt32(), positions, bestPositions);
            positions += eight;
        }
        float smallest = SmallestLane(bestDistances);
        int best = -1;
        if (smallest < float.MaxValue)
        {
            var at = Vector256.Equals(bestDistances, Vector256.Create(smallest)).AsInt32();
            best = candidates[SmallestLane(Vector256.ConditionalSelect(at, bestPositions, Vector256.Create(int.MaxValue)))];
        }
        if (best < 0)
        {
            throw SearchFailed();
        }
        var point = Point(best);
        for (int i = 0; i < Dimensions; i++)
        {
            levels[i] = (sbyte)((point[i] - 1) / 2);
        }
        return best;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float SmallestLane(Vector256<float> v)
    {
        var four = Vector128.Min(v.GetLower(), v.GetUpper());
        var two = Vector128.Min(four, Vector128.Shuffle(four, Vector128.Create(2, 3, 0, 1)));
        return MathF.Min(two.ToScalar(), two.GetElement(1));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SmallestLane(Vector256<int> v)
    {
        var four = Vector128.Min(v.GetLower(), v.GetUpper());
        var two = Vector128.Min(four, Vector128.Shuffle(four, Vector128.Create(2, 3, 0, 1)));
        return Math.Min(two.ToScalar(), two.GetElement(1));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Coordinates8(ReadOnlySpan<sbyte> eight)
    {
        var bytes = Vector128.CreateScalar(MemoryMarshal.Read<long>(MemoryMarshal.AsBytes(eight))).AsSByte();
        var shorts = Vector128.WidenLower(bytes);
        return Vector256.ConvertToSingle(Vector256.Create(Vector128.WidenLower(shorts), Vector128.WidenUpper(shorts)));
    }

    /// <summary>What ggml stops the process for (a failed GGML_ASSERT): here a clear error instead.</summary>
    public static InvalidDataException SearchFailed() =>
        new("The values are too large (or not finite) for the grid search of the IQ1/IQ2/IQ3 formats: its weighted errors overflow. llama.cpp aborts on such data too.");

    // The lists, each its length followed by its grid indices; off-grid codes map to -(list + 1).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private (ushort[] Lists, int[] Starts) BuildNeighbourLists(int mapSize, int mask, int distances)
    {
        int lanes = Vector<short>.Count;
        var coordinates = new short[Dimensions][];
        for (int i = 0; i < Dimensions; i++)
        {
            coordinates[i] = new short[Size];
            for (int k = 0; k < Size; k++)
            {
                coordinates[i][k] = _points[k * Dimensions + i];
            }
        }
        var d2 = new short[Size];
        var lists = new List<ushort>();
        var starts = new List<int>();
        Span<short> position = stackalloc short[Dimensions];
        Span<short> levels = stackalloc short[distances];
        var perLevel = new List<ushort>[distances];
        for (int level = 0; level < distances; level++)
        {
            perLevel[level] = [];
        }
        for (int code = 0; code < mapSize; code++)
        {
            if (_map[code] >= 0)
            {
                continue;
            }
            for (int i = 0; i < Dimensions; i++)
            {
                position[i] = (short)(2 * ((code >> Bits * i) & mask) + 1);
            }
            // Squared distances to every point: at most 8·14², well within a short.
            for (int j = 0; j < Size; j += lanes)
            {
                var sum = Vector<short>.Zero;
                for (int i = 0; i < Dimensions; i++)
                {
                    var diff = new Vector<short>(coordinates[i], j) - new Vector<short>(position[i]);
                    sum += diff * diff;
                }
                sum.CopyTo(d2, j);
            }
            int offset = lists.Count;
            lists.Add(0);
            // Sorting by (distance, index) and keeping the first `distances` distinct distances is the same as
            // taking each of the smallest distances in turn and its points in index order.
            int levelCount = 0;
            short previous = -1;
            while (levelCount < distances)
            {
                short distance = SmallestAbove(d2, previous);
                if (distance == short.MaxValue)
                {
                    break;
                }
                levels[levelCount++] = distance;
                previous = distance;
            }
            for (int level = 0; level < levelCount; level++)
            {
                perLevel[level].Clear();
            }
            var farthest = new Vector<short>(previous);
            for (int j = 0; j < Size; j += lanes)
            {
                if (Vector.LessThanOrEqualAny(new Vector<short>(d2, j), farthest))
                {
                    for (int lane = j; lane < j + lanes; lane++)
                    {
                        int level = levels[..levelCount].IndexOf(d2[lane]);
                        if (level >= 0)
                        {
                            perLevel[level].Add((ushort)lane);
                        }
                    }
                }
            }
            int count = 0;
            for (int level = 0; level < levelCount; level++)
            {
                lists.AddRange(perLevel[level]);
                count += perLevel[level].Count;
            }
            lists[offset] = (ushort)count;
            _map[code] = -(starts.Count + 1);
            starts.Add(offset);
        }
        return (lists.ToArray(), starts.ToArray());
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private (sbyte[] Coordinates, int[] Offsets) TransposeCandidates()
    {
        var offsets = new int[_listStarts.Length];
        int total = 0;
        for (int list = 0; list < _listStarts.Length; list++)
        {
            offsets[list] = total;
            total += ((_neighbours[_listStarts[list]] + 7) & ~7) * Dimensions;
        }
        var coordinates = new sbyte[total];
        for (int list = 0; list < _listStarts.Length; list++)
        {
            int start = _listStarts[list];
            int count = _neighbours[start];
            int padded = (count + 7) & ~7;
            for (int c = 0; c < padded; c++)
            {
                var point = Point(_neighbours[start + 1 + Math.Min(c, count - 1)]);
                for (int i = 0; i < Dimensions; i++)
                {
                    coordinates[offsets[list] + i * padded + c] = point[i];
                }
            }
        }
        return (coordinates, offsets);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static short SmallestAbove(short[] values, short floor)
    {
        int lanes = Vector<short>.Count;
        var limit = new Vector<short>(floor);
        var none = new Vector<short>(short.MaxValue);
        var min = none;
        for (int j = 0; j < values.Length; j += lanes)
        {
            var v = new Vector<short>(values, j);
            min = Vector.Min(min, Vector.ConditionalSelect(Vector.GreaterThan(v, limit), v, none));
        }
        short result = short.MaxValue;
        for (int i = 0; i < lanes; i++)
        {
            result = Math.Min(result, min[i]);
        }
        return result;
    }
}
