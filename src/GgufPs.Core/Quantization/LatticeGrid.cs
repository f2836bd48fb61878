using System.Numerics;
using System.Runtime.CompilerServices;

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
        _neighbours = BuildNeighbourLists(mapSize, mask, distances);
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
        int offset = -_map[code] - 1;
        return _neighbours.AsSpan(offset + 1, _neighbours[offset]);
    }

    /// <summary>
    /// iq2_find_best_neighbour / iq3_find_best_neighbour: of the off-grid code's candidates, the one nearest to
    /// <paramref name="xval"/> at <paramref name="scale"/> by weighted squared distance (the first on ties). Its levels
    /// go to <paramref name="levels"/>.
    /// </summary>
    public int BestNeighbour(int code, ReadOnlySpan<float> xval, ReadOnlySpan<float> weight, float scale, Span<sbyte> levels)
    {
        float bestDistance = float.MaxValue;
        int best = -1;
        foreach (ushort candidate in Neighbours(code))
        {
            var pg = Point(candidate);
            float d2 = 0;
            for (int i = 0; i < Dimensions; i++)
            {
                float diff = scale * pg[i] - xval[i];
                d2 += weight[i] * diff * diff;
            }
            if (d2 < bestDistance)
            {
                bestDistance = d2;
                best = candidate;
            }
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

    /// <summary>
    /// iq1_find_best_neighbour2: like <see cref="BestNeighbour"/>, but a level stands for <paramref name="values"/>[level]
    /// (IQ1's shifted ternary values) rather than 2·level + 1.
    /// </summary>
    public int BestShiftedNeighbour(int code, ReadOnlySpan<float> xval, ReadOnlySpan<float> weight, float scale, ReadOnlySpan<float> values, Span<sbyte> levels)
    {
        float bestDistance = float.MaxValue;
        int best = -1;
        foreach (ushort candidate in Neighbours(code))
        {
            var pg = Point(candidate);
            float d2 = 0;
            for (int i = 0; i < Dimensions; i++)
            {
                float q = values[(pg[i] - 1) / 2];
                float diff = scale * q - xval[i];
                d2 += weight[i] * diff * diff;
            }
            if (d2 < bestDistance)
            {
                bestDistance = d2;
                best = candidate;
            }
        }
        // ggml would go on to scan the whole grid, but with an indexing slip that reads past the group; it only gets
        // there when every distance has overflowed, and then it aborts in practice.
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

    /// <summary>What ggml stops the process for (a failed GGML_ASSERT): here a clear error instead.</summary>
    public static InvalidDataException SearchFailed() =>
        new("The values are too large (or not finite) for the grid search of the IQ1/IQ2/IQ3 formats: its weighted errors overflow. llama.cpp aborts on such data too.");

    private ushort[] BuildNeighbourLists(int mapSize, int mask, int distances)
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
        Span<short> position = stackalloc short[Dimensions];
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
            int count = 0;
            short previous = -1;
            // Sorting by (distance, index) and keeping the first `distances` distinct distances is the same as
            // taking each of the smallest distances in turn and its points in index order.
            for (int level = 0; level < distances; level++)
            {
                short distance = SmallestAbove(d2, previous);
                if (distance == short.MaxValue)
                {
                    break;
                }
                for (int j = 0; j < Size; j++)
                {
                    if (d2[j] == distance)
                    {
                        lists.Add((ushort)j);
                        count++;
                    }
                }
                previous = distance;
            }
            lists[offset] = (ushort)count;
            _map[code] = -(offset + 1);
        }
        return lists.ToArray();
    }

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
