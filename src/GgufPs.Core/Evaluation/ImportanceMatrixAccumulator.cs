using System.Numerics;
using System.Runtime.InteropServices;
using GgufPs.Inference;
using GgufPs.Quantization;

namespace GgufPs.Evaluation;

/// <summary>
/// llama-imatrix's collector: per weight tensor, the running sum of squared input activations of every column and
/// the number of activation rows summed. It is fed by the forward pass (as an <see cref="IWeightInputObserver"/>)
/// and by existing matrices (<see cref="Add"/>, llama-imatrix --in-file), and hands out its entries for writing.
/// </summary>
public sealed class ImportanceMatrixAccumulator : IWeightInputObserver
{
    /// <summary>llama-imatrix ignores products of fewer activation rows than this ("why are small batches ignored?").</summary>
    public const int MinimumRows = 16;

    private readonly Dictionary<string, Accumulator> _entries = new(StringComparer.Ordinal);
    private readonly List<string> _datasets = [];
    private readonly int _threads;

    /// <param name="chunkSize">Tokens per chunk (llama-imatrix's n_ctx / n_parallel): turns counts into chunks.</param>
    /// <param name="threads">Threads for summing one product's activations.</param>
    public ImportanceMatrixAccumulator(int chunkSize, int threads = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        ChunkSize = chunkSize;
        _threads = Math.Max(1, threads);
    }

    public int ChunkSize { get; }

    /// <summary>Collect output.weight too (--process-output). token_embd never is: it is looked up, not multiplied.</summary>
    public bool ProcessOutput { get; init; }

    /// <summary>Text files of the matrices added and of this run, in order (imatrix.datasets).</summary>
    public IReadOnlyList<string> Datasets => _datasets;

    public int Count => _entries.Count;

    /// <summary>Chunks the data amounts to: the largest count over the chunk size, as llama-imatrix's m_last_chunk.</summary>
    public int ChunkCount
    {
        get
        {
            long max = 0;
            foreach (var e in _entries.Values)
            {
                foreach (long c in e.Counts)
                {
                    max = Math.Max(max, c);
                }
            }
            return (int)Math.Min(int.MaxValue, max / ChunkSize);
        }
    }

    public void AddDataset(string dataset) => _datasets.Add(dataset);

    /// <summary>Whether llama-imatrix collects the products of this weight: block weights, and output.weight when asked.</summary>
    public bool Collects(string weightName) =>
        weightName.StartsWith("blk.", StringComparison.Ordinal) || (ProcessOutput && weightName == "output.weight");

    /// <summary>Adds rows² to the column sums of a weight, as collect_imatrix does for a MUL_MAT with a 2-D weight.</summary>
    /// <exception cref="InvalidDataException">The width differs from earlier data, or a sum is no longer finite.</exception>
    public void Observe(string weightName, ReadOnlySpan<float> input, int rows)
    {
        if (rows < MinimumRows || !Collects(weightName))
        {
            return;
        }
        int columns = input.Length / rows;
        var e = Entry(weightName, columns);
        // A dense product has one count; one loaded with equal per-expert counts is folded back to one.
        if (e.Counts.Length > 1)
        {
            if (e.Counts.Any(c => c != e.Counts[0]) || e.Sums.Length != columns)
            {
                throw new InvalidDataException($"The importance data of '{weightName}' has {e.Counts.Length} matrices; the model multiplies it as one.");
            }
            e.Counts = [e.Counts[0]];
        }
        AddSquares(e.Sums, input, rows, columns);
        e.Counts[0] += rows;
        for (int j = 0; j < columns; j++)
        {
            if (!float.IsFinite(e.Sums[j]))
            {
                throw new InvalidDataException($"The squared activations of '{weightName}' column {j} summed to {e.Sums[j]}: the model produced non-finite values.");
            }
        }
    }

    /// <summary>
    /// Adds an existing matrix as llama-imatrix --in-file does: GGUF sums and counts as they are; legacy values and
    /// call counts scaled by the chunk size, since that format keeps means. Its datasets are appended.
    /// </summary>
    /// <param name="model">When given, every entry must name a weight of this model with as many columns and experts.</param>
    /// <exception cref="InvalidDataException">An entry's size disagrees with the model or with data already held.</exception>
    public void Add(ImportanceMatrix matrix, GgufFile? model = null)
    {
        if (model is not null)
        {
            CheckFits(matrix, model);
        }
        foreach (var entry in matrix.Entries)
        {
            if (!_entries.TryGetValue(entry.Name, out var e))
            {
                e = new Accumulator(new float[entry.Sums.Length], new long[matrix.IsLegacy ? 1 : entry.Matrices]);
                _entries[entry.Name] = e;
            }
            else if (e.Sums.Length != entry.Sums.Length)
            {
                throw new InvalidDataException($"'{matrix.Path}': '{entry.Name}' has {entry.Sums.Length} values where the other data has {e.Sums.Length}; the matrices are of different models.");
            }
            if (matrix.IsLegacy)
            {
                // The legacy format keeps one call count for all experts.
                for (int i = 0; i < e.Sums.Length; i++)
                {
                    e.Sums[i] += entry.Sums[i] * ChunkSize;
                }
                for (int i = 0; i < e.Counts.Length; i++)
                {
                    e.Counts[i] += entry.Counts[0] * ChunkSize;
                }
                continue;
            }
            if (e.Counts.Length == 1 && entry.Matrices > 1)
            {
                e.Counts = Enumerable.Repeat(e.Counts[0], entry.Matrices).ToArray();
            }
            else if (e.Counts.Length != entry.Matrices)
            {
                throw new InvalidDataException($"'{matrix.Path}': '{entry.Name}' has {entry.Matrices} matrices where the other data has {e.Counts.Length}.");
            }
            for (int i = 0; i < e.Sums.Length; i++)
            {
                e.Sums[i] += entry.Sums[i];
            }
            for (int i = 0; i < e.Counts.Length; i++)
            {
                e.Counts[i] += entry.Counts[i];
            }
        }
        _datasets.AddRange(matrix.Datasets);
    }

    /// <summary>
    /// Writes the matrix: GGUF as llama-imatrix's default, or the legacy .dat, whose single dataset name is the last
    /// of <see cref="Datasets"/> (this run's text, else the last merged file's).
    /// </summary>
    public void Save(string path, ImportanceMatrixFormat format, bool overwrite)
    {
        var entries = Entries();
        if (format == ImportanceMatrixFormat.Dat)
        {
            ImportanceMatrixWriter.WriteLegacy(path, entries, _datasets.LastOrDefault() ?? "", ChunkCount, ChunkSize, overwrite);
        }
        else
        {
            ImportanceMatrixWriter.WriteGguf(path, entries, _datasets, ChunkCount, ChunkSize, overwrite);
        }
    }

    /// <summary>A copy of the sums and counts, to go back to if a chunk is stopped halfway.</summary>
    internal IReadOnlyDictionary<string, (float[] Sums, long[] Counts)> Checkpoint() =>
        _entries.ToDictionary(kv => kv.Key, kv => (kv.Value.Sums.ToArray(), kv.Value.Counts.ToArray()), StringComparer.Ordinal);

    internal void Restore(IReadOnlyDictionary<string, (float[] Sums, long[] Counts)> checkpoint)
    {
        _entries.Clear();
        foreach (var (name, (sums, counts)) in checkpoint)
        {
            _entries[name] = new Accumulator(sums.ToArray(), counts.ToArray());
        }
    }

    /// <summary>Fails, naming the first mismatches, unless each entry of the matrix belongs to a weight of the model.</summary>
    private static void CheckFits(ImportanceMatrix matrix, GgufFile model)
    {
        var problems = new List<string>();
        foreach (var e in matrix.Entries)
        {
            var tensor = model.FindTensor(e.Name);
            long experts = tensor is null || tensor.Shape.Length < 3 ? 1 : tensor.Shape[2];
            if (tensor is null)
            {
                problems.Add($"'{e.Name}' is not a tensor of the model");
            }
            else if (tensor.RowLength != e.Columns)
            {
                problems.Add($"'{e.Name}' has {e.Columns} columns where the model's has {tensor.RowLength}");
            }
            else if (e.Matrices != experts && !(matrix.IsLegacy && e.Sums.Length == e.Columns * experts))
            {
                problems.Add($"'{e.Name}' has {e.Matrices} matrices where the model's has {experts}");
            }
        }
        if (problems.Count > 0)
        {
            string more = problems.Count > 3 ? $" and {problems.Count - 3} more" : "";
            throw new InvalidDataException($"The importance matrix '{matrix.Path}' does not fit the model '{model.Path}': {string.Join("; ", problems.Take(3))}{more}. It was computed for another model.");
        }
    }

    /// <summary>Copies of the entries in name order.</summary>
    public IReadOnlyList<ImportanceMatrixEntry> Entries() =>
        _entries.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => new ImportanceMatrixEntry(kv.Key, kv.Value.Sums.ToArray(), kv.Value.Counts.ToArray()))
            .ToList();

    public bool TryGetColumns(string weightName, out int columns)
    {
        bool found = _entries.TryGetValue(weightName, out var e);
        columns = found ? e!.Sums.Length / e.Counts.Length : 0;
        return found;
    }

    private Accumulator Entry(string name, int columns)
    {
        if (!_entries.TryGetValue(name, out var e))
        {
            e = new Accumulator(new float[columns], [0]);
            _entries[name] = e;
        }
        else if (e.Sums.Length != columns * e.Counts.Length)
        {
            throw new InvalidDataException($"'{name}' has inputs of {columns} columns, but the importance data held for it has {e.Sums.Length / e.Counts.Length}.");
        }
        return e;
    }

    /// <summary>
    /// sums[j] += x[r, j]² for every row in row order, in float as llama-imatrix sums: each column's additions happen
    /// in the same order whatever the vector width or the split of columns over threads.
    /// </summary>
    private void AddSquares(float[] sums, ReadOnlySpan<float> input, int rows, int columns)
    {
        int width = Vector<float>.Count;
        int parts = (long)rows * columns < 1 << 16 ? 1 : Math.Min(_threads, Math.Max(1, columns / (4 * width)));
        if (parts == 1)
        {
            AddSquares(sums, input, rows, columns, 0, columns);
            return;
        }
        unsafe
        {
            fixed (float* x = input)
            {
                var source = (IntPtr)x;
                int length = input.Length;
                Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p =>
                {
                    int from = (int)((long)columns * p / parts) / width * width;
                    int to = p == parts - 1 ? columns : (int)((long)columns * (p + 1) / parts) / width * width;
                    AddSquares(sums, new ReadOnlySpan<float>((float*)source, length), rows, columns, from, to);
                });
            }
        }
    }

    private static void AddSquares(float[] sums, ReadOnlySpan<float> input, int rows, int columns, int from, int to)
    {
        var s = sums.AsSpan(from, to - from);
        var sv = MemoryMarshal.Cast<float, Vector<float>>(s);
        int vectorEnd = sv.Length * Vector<float>.Count;
        for (int r = 0; r < rows; r++)
        {
            var x = input.Slice(r * columns + from, to - from);
            var xv = MemoryMarshal.Cast<float, Vector<float>>(x);
            for (int i = 0; i < sv.Length; i++)
            {
                // Multiply, then add: two roundings, as the C loop without contraction.
                var square = xv[i] * xv[i];
                sv[i] += square;
            }
            for (int j = vectorEnd; j < s.Length; j++)
            {
                float square = x[j] * x[j];
                s[j] += square;
            }
        }
    }

    private sealed class Accumulator(float[] sums, long[] counts)
    {
        public float[] Sums { get; } = sums;

        public long[] Counts { get; set; } = counts;
    }
}
