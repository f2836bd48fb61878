using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace GgufPs.Quantization;

/// <summary>
/// Carries out a <see cref="QuantizationPlan"/>: one tensor at a time, in batches of rows read with positional reads
/// (so the page cache, not this process, holds the input), converted to floats, quantized across threads and
/// streamed to a temporary file that becomes the output only when everything succeeded.
/// </summary>
public static class ModelQuantizer
{
    // Floats per batch: enough rows for every thread to get several chunks, small enough to keep memory flat.
    private const int BatchFloats = 4 << 20;
    private const int ChunkFloats = 64 << 10;
    private const int CopyChunkBytes = 16 << 20;

    public static GgufModelInfo Run(QuantizationPlan plan, string outputPath, bool overwrite = false, int threads = 0,
        IProgress<QuantizationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        string target = Path.GetFullPath(outputPath);
        RefuseInputAsOutput(plan, target, nameof(outputPath));
        threads = threads <= 0 ? Environment.ProcessorCount : threads;
        using var inputs = new InputFiles(plan);
        using var workers = new WorkerPool(threads);
        using (var writer = new GgufWriter(target, overwrite))
        {
            writer.WriteHeader(plan.Metadata, plan.Descriptors);
            var state = new RunState(plan, progress);
            for (int i = 0; i < plan.Tensors.Count; i++)
            {
                WriteTensor(plan, i, inputs, writer, workers, threads, state, cancellationToken);
            }
            writer.Commit();
        }
        return GgufFile.ReadInfo(target);
    }

    /// <summary>
    /// Carries out a plan made for a split input as llama-quantize's --keep-split does: one output part for each input
    /// part, holding the same tensors, named <c>&lt;prefix&gt;-%05d-of-%05d.gguf</c> from <paramref name="outputPath"/>
    /// without its .gguf. Every part goes to a temporary file; all are renamed only when all are written.
    /// </summary>
    public static GgufModelInfo RunKeepSplit(QuantizationPlan plan, string outputPath, bool overwrite = false, int threads = 0,
        IProgress<QuantizationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var split = KeepSplitPlan.Create(plan, outputPath);
        foreach (var part in split.Parts)
        {
            RefuseInputAsOutput(split.Plan, part.Path, nameof(outputPath));
            if (!overwrite && File.Exists(part.Path))
            {
                throw new Workflow.OutputExistsException(part.Path);
            }
        }
        threads = threads <= 0 ? Environment.ProcessorCount : threads;
        using var inputs = new InputFiles(split.Plan);
        using var workers = new WorkerPool(threads);
        var writers = new List<GgufWriter>();
        try
        {
            // Every target is checked before anything is written, so an existing part stops the run at once.
            foreach (var part in split.Parts)
            {
                writers.Add(new GgufWriter(part.Path, overwrite));
            }
            var state = new RunState(split.Plan, progress);
            int next = 0;
            for (int p = 0; p < split.Parts.Count; p++)
            {
                var part = split.Parts[p];
                writers[p].WriteHeader(part.Metadata, part.Descriptors, alignEmptyData: true);
                for (int i = 0; i < part.Descriptors.Count; i++, next++)
                {
                    WriteTensor(split.Plan, next, inputs, writers[p], workers, threads, state, cancellationToken);
                }
            }
            foreach (var writer in writers)
            {
                writer.Commit();
            }
        }
        finally
        {
            foreach (var writer in writers)
            {
                writer.Dispose();
            }
        }
        return GgufFile.ReadInfo(split.Parts[0].Path);
    }

    private static void RefuseInputAsOutput(QuantizationPlan plan, string target, string parameter)
    {
        if (Workflow.FileSystemPath.AreSame(target, plan.InputPath) || plan.Tensors.Any(t => Workflow.FileSystemPath.AreSame(target, t.Source.FilePath)))
        {
            throw new ArgumentException($"The output '{target}' is an input file; choose another output path.", parameter);
        }
    }

    private static void WriteTensor(QuantizationPlan plan, int index, InputFiles inputs, GgufWriter writer, WorkerPool workers, int threads,
        RunState state, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var tensor = plan.Tensors[index];
        var input = inputs.For(tensor.Source);
        state.Begin(index);
        if (tensor.IsCopied)
        {
            Copy(input, tensor, writer, state, cancellationToken);
        }
        else
        {
            Convert(input, tensor, writer, workers, threads, state, cancellationToken);
        }
    }

    private static void Copy(SafeFileHandle input, TensorQuantizationPlan tensor, GgufWriter writer, RunState state, CancellationToken ct)
    {
        var source = tensor.Source;
        long rowBytes = source.ByteSize / Math.Max(1, source.RowCount);
        long rowsPerChunk = Math.Max(1, CopyChunkBytes / Math.Max(1, rowBytes));
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(source.ByteSize, Math.Max(rowBytes * rowsPerChunk, 1)));
        try
        {
            for (long row = 0; row < source.RowCount; row += rowsPerChunk)
            {
                ct.ThrowIfCancellationRequested();
                int rows = (int)Math.Min(rowsPerChunk, source.RowCount - row);
                var chunk = buffer.AsSpan(0, checked((int)(rows * rowBytes)));
                ReadExactly(input, chunk, source.FileOffset + row * rowBytes);
                ValidatePlain(source, chunk, row, rows);
                writer.WriteTensorData(chunk);
                state.Advance(rows, chunk.Length);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // F32/F16/BF16 copies are checked too, as llama.cpp's loader validates every tensor it reads.
    private static void ValidatePlain(GgufTensorInfo source, ReadOnlySpan<byte> chunk, long firstRow, int rows)
    {
        int index = source.Type switch
        {
            GgmlType.F32 => FloatValidation.FindNonFinite(MemoryMarshal.Cast<byte, float>(chunk)),
            GgmlType.F16 => FloatValidation.FindNonFinite16(MemoryMarshal.Cast<byte, ushort>(chunk), 0x7C00),
            GgmlType.BF16 => FloatValidation.FindNonFinite16(MemoryMarshal.Cast<byte, ushort>(chunk), 0x7F80),
            _ => -1,
        };
        if (index >= 0)
        {
            throw NonFinite(source.Name, firstRow + index / source.RowLength);
        }
    }

    private static void Convert(SafeFileHandle input, TensorQuantizationPlan tensor, GgufWriter writer, WorkerPool workers, int threads, RunState state, CancellationToken ct)
    {
        var source = tensor.Source;
        int rowLength = checked((int)source.RowLength);
        long rowCount = source.RowCount;
        long matrixRows = source.Shape.Length > 1 ? source.Shape[1] : 1;
        long matrices = source.Shape.Length > 2 ? source.Shape[2] : 1;
        int srcRowBytes = checked((int)GgmlTypeInfo.Get(source.Type).RowSize(rowLength));
        var target = BlockFormats.Get(tensor.TargetType);
        int dstRowBytes = checked((int)target.RowBytes(rowLength));
        var decode = Decoder(source.Type);

        int batchRows = (int)Math.Clamp(BatchFloats / rowLength, 1, Math.Max(1, rowCount));
        // Chunks of about 64K values keep a worker's floats in its L2 cache between decoding and quantizing.
        int chunkRows = Math.Max(1, Math.Min(batchRows / (threads * 4), ChunkFloats / rowLength));
        // Two output buffers: one is written to disk while the next batch is quantized into the other.
        byte[][] outputs = [ArrayPool<byte>.Shared.Rent(checked(batchRows * dstRowBytes)), ArrayPool<byte>.Shared.Rent(checked(batchRows * dstRowBytes))];
        Task? pendingWrite = null;
        try
        {
            int current = 0;
            for (long first = 0; first < rowCount; first += batchRows)
            {
                ct.ThrowIfCancellationRequested();
                int rows = (int)Math.Min(batchRows, rowCount - first);
                int chunks = (rows + chunkRows - 1) / chunkRows;
                long batchStart = first;
                var output = outputs[current];
                workers.Run(chunks, chunk =>
                {
                    ct.ThrowIfCancellationRequested();
                    int start = chunk * chunkRows;
                    int count = Math.Min(chunkRows, rows - start);
                    long row0 = batchStart + start;
                    var rawArray = ArrayPool<byte>.Shared.Rent(count * srcRowBytes);
                    var floatArray = ArrayPool<float>.Shared.Rent(count * rowLength);
                    try
                    {
                        var raw = rawArray.AsSpan(0, count * srcRowBytes);
                        ReadExactly(input, raw, source.FileOffset + row0 * srcRowBytes);
                        var floats = floatArray.AsSpan(0, count * rowLength);
                        decode(raw, floats);
                        int bad = FloatValidation.FindNonFinite(floats);
                        if (bad >= 0)
                        {
                            throw NonFinite(source.Name, row0 + bad / rowLength);
                        }
                        var dst = output.AsSpan(start * dstRowBytes, count * dstRowBytes);
                        try
                        {
                            QuantizeRows(target, floats, row0, count, rowLength, dst, dstRowBytes, tensor.Importance, matrixRows, matrices);
                        }
                        catch (InvalidDataException ex)
                        {
                            // The grid formats' search gives up on values so large that its errors overflow.
                            throw new InvalidDataException($"Tensor '{source.Name}', rows {row0} to {row0 + count - 1}: {ex.Message}", ex);
                        }
                    }
                    finally
                    {
                        ArrayPool<float>.Shared.Return(floatArray);
                        ArrayPool<byte>.Shared.Return(rawArray);
                    }
                });
                pendingWrite?.GetAwaiter().GetResult();
                int length = rows * dstRowBytes;
                pendingWrite = Task.Run(() => writer.WriteTensorData(output.AsSpan(0, length)), CancellationToken.None);
                state.Advance(rows, (long)rows * srcRowBytes);
                current ^= 1;
            }
            pendingWrite?.GetAwaiter().GetResult();
            pendingWrite = null;
        }
        finally
        {
            // A write still running after a failure must finish before its buffer goes back to the pool.
            try
            {
                pendingWrite?.Wait(CancellationToken.None);
            }
            catch (AggregateException)
            {
            }
            ArrayPool<byte>.Shared.Return(outputs[0]);
            ArrayPool<byte>.Shared.Return(outputs[1]);
        }
    }

    // Rows of 3-D (expert) tensors take the importance weights of their own matrix, as llama.cpp slices them.
    private static void QuantizeRows(BlockFormat target, ReadOnlySpan<float> floats, long row0, int count, int rowLength, Span<byte> dst,
        int dstRowBytes, float[]? importance, long matrixRows, long matrices)
    {
        if (importance is null || matrices <= 1)
        {
            target.Quantize(floats, count, rowLength, dst, importance);
            return;
        }
        int done = 0;
        while (done < count)
        {
            long row = row0 + done;
            long matrix = row / matrixRows % matrices;
            int run = (int)Math.Min(count - done, matrixRows - row % matrixRows);
            var weights = importance.AsSpan((int)(matrix * rowLength), rowLength);
            target.Quantize(floats.Slice(done * rowLength, run * rowLength), run, rowLength, dst.Slice(done * dstRowBytes, run * dstRowBytes), weights);
            done += run;
        }
    }

    private delegate void RowDecoder(ReadOnlySpan<byte> source, Span<float> destination);

    private static RowDecoder Decoder(GgmlType type) => type switch
    {
        GgmlType.F32 => (s, d) => MemoryMarshal.Cast<byte, float>(s).CopyTo(d),
        GgmlType.F16 => HalfPrecisionConverter.FromF16,
        GgmlType.BF16 => HalfPrecisionConverter.FromBF16,
        _ => BlockFormats.Get(type).Dequantize,
    };

    private static InvalidDataException NonFinite(string tensor, long row) =>
        new($"Tensor '{tensor}' has a NaN or infinite value in row {row}; nothing was written.");

    private static void ReadExactly(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        while (buffer.Length > 0)
        {
            int read = RandomAccess.Read(handle, buffer, offset);
            if (read <= 0)
            {
                throw new EndOfStreamException("The input ended inside tensor data; the file may have been truncated while it was read.");
            }
            buffer = buffer[read..];
            offset += read;
        }
    }

    /// <summary>A read handle on each file of the input, a single file or the parts of a split set.</summary>
    private sealed class InputFiles : IDisposable
    {
        private readonly Dictionary<string, SafeFileHandle> _handles = new(StringComparer.Ordinal);

        public InputFiles(QuantizationPlan plan)
        {
            try
            {
                foreach (string path in plan.Tensors.Select(t => t.Source.FilePath).Distinct(StringComparer.Ordinal))
                {
                    _handles.Add(path, File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read));
                }
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public SafeFileHandle For(GgufTensorInfo tensor) => _handles[tensor.FilePath];

        public void Dispose()
        {
            foreach (var handle in _handles.Values)
            {
                handle.Dispose();
            }
        }
    }

    /// <summary>Progress bookkeeping for one run.</summary>
    private sealed class RunState(QuantizationPlan plan, IProgress<QuantizationProgress>? progress)
    {
        private readonly long _total = plan.WorkBytes;
        private long _done;
        private int _index;
        private long _rowsDone;

        public void Begin(int index)
        {
            _index = index;
            _rowsDone = 0;
            Report();
        }

        public void Advance(long rows, long bytes)
        {
            _rowsDone += rows;
            _done += bytes;
            Report();
        }

        private void Report()
        {
            if (progress is null)
            {
                return;
            }
            var t = plan.Tensors[_index];
            progress.Report(new QuantizationProgress(_index, plan.Tensors.Count, t.Name, t.SourceType, t.TargetType, _rowsDone, t.Source.RowCount, _done, _total));
        }
    }
}
