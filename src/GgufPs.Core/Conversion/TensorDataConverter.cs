using System.Buffers;
using GgufPs.Quantization;

namespace GgufPs.Conversion;

/// <summary>
/// Produces a planned tensor's GGUF bytes from its memory-mapped source, in order, a batch of rows at a time: rows
/// are converted (and dequantized, for scaled checkpoints) in parallel into one buffer while the previous buffer is
/// being written, so peak memory is two batches (plus the whole tensor only for transposes and norm shifts).
/// </summary>
internal static unsafe class TensorDataConverter
{
    private const int BatchBytes = 16 << 20;
    private const int MinimumRowsPerWorker = 64;

    /// <summary>
    /// Writes the tensor's bytes through <paramref name="sink"/> in order. <paramref name="advanced"/>, when given, is
    /// told the bytes handed to the sink after each batch, on the calling thread, so long tensors can show progress.
    /// </summary>
    public static void Write(PlannedTensor tensor, Action<ReadOnlySpan<byte>> sink, CancellationToken cancellationToken, Action<long>? advanced = null)
    {
        var source = tensor.Source;
        if (!SourceElementDecoder.IsSupported(source.DataType))
        {
            throw new NotSupportedException($"Tensor '{tensor.SourceName}' is {source.DataType}; only floating-point tensors (F32, F16, BF16, F64, F8) can be converted.");
        }
        if (tensor.Transform is TensorTransform.Transpose or TensorTransform.AddOne || source.Values is not null)
        {
            float[] values = source.Values ?? (tensor.Transform == TensorTransform.Transpose ? Transposed(tensor) : PlusOne(tensor));
            fixed (float* p = values)
            {
                WriteRows(tensor, (byte*)p, SafetensorsDataType.F32, permute: false, sink, cancellationToken, advanced);
            }
            return;
        }
        bool permute = tensor.Transform == TensorTransform.RopePermute;
        byte* basePointer = source.Input!.At(source.Offset);
        if (tensor.Scale is not null)
        {
            WriteRows(tensor, basePointer, source.DataType, permute, sink, cancellationToken, advanced, new WeightScaleRows(tensor.Scale, source.Shape));
            return;
        }
        // Even plain copies go through the batch buffers: touching the mapped source from two threads while the
        // previous batch is written beats one write() that faults every source page in on its own thread.
        WriteRows(tensor, basePointer, source.DataType, permute, sink, cancellationToken, advanced);
    }

    private static void WriteRows(PlannedTensor tensor, byte* source, SafetensorsDataType sourceType, bool permute,
        Action<ReadOnlySpan<byte>> sink, CancellationToken cancellationToken, Action<long>? advanced, WeightScaleRows? scales = null)
    {
        long elements = tensor.ElementCount;
        // A permuted 1-D tensor (a Q/K bias) moves single elements; everything else moves whole ggml rows.
        long unitElements = permute && tensor.Shape.Length == 1 ? 1 : tensor.Shape[0];
        long units = elements / Math.Max(1, unitElements);
        if (elements == 0 || unitElements == 0)
        {
            return;
        }
        var info = GgmlTypeInfo.Get(tensor.Type);
        long unitBytes = info.RowSize(unitElements);
        int sourceElementSize = SafetensorsFile.ElementSize(sourceType);
        long sourceUnitBytes = unitElements * sourceElementSize;
        int unitsPerBatch = (int)Math.Clamp(BatchBytes / Math.Max(1, unitBytes), 1, Math.Min(units, int.MaxValue));
        long batchBytes = unitsPerBatch * unitBytes;
        if (batchBytes > int.MaxValue)
        {
            throw new NotSupportedException($"Tensor '{tensor.SourceName}' has rows of {unitBytes} bytes, too long to convert.");
        }
        long headRows = permute ? tensor.Source.Shape[0] / tensor.RopeHeads : 0;
        var buffers = new[] { ArrayPool<byte>.Shared.Rent((int)batchBytes), ArrayPool<byte>.Shared.Rent((int)batchBytes) };
        Task? pendingWrite = null;
        try
        {
            int current = 0;
            for (long first = 0; first < units; first += unitsPerBatch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int count = (int)Math.Min(unitsPerBatch, units - first);
                byte[] buffer = buffers[current];
                long batchFirst = first;
                int workers = Math.Max(1, Math.Min(Environment.ProcessorCount, count / MinimumRowsPerWorker));
                Parallel.For(0, workers, new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = workers }, w =>
                {
                    int begin = (int)((long)count * w / workers);
                    int end = (int)((long)count * (w + 1) / workers);
                    float[] scratch = ArrayPool<float>.Shared.Rent((int)unitElements);
                    try
                    {
                        fixed (byte* output = buffer)
                        fixed (float* f32 = scratch)
                        {
                            for (int u = begin; u < end; u++)
                            {
                                long unit = batchFirst + u;
                                long sourceUnit = permute ? PermutedSourceRow(unit, headRows) : unit;
                                ConvertUnit(source + sourceUnit * sourceUnitBytes, sourceType, (int)unitElements,
                                    new Span<byte>(output + (long)u * unitBytes, (int)unitBytes), tensor.Type, f32, scales, sourceUnit);
                            }
                        }
                    }
                    finally
                    {
                        ArrayPool<float>.Shared.Return(scratch);
                    }
                });
                pendingWrite?.GetAwaiter().GetResult();
                int length = (int)(count * unitBytes);
                pendingWrite = Task.Run(() => sink(new ReadOnlySpan<byte>(buffer, 0, length)), cancellationToken);
                advanced?.Invoke(length);
                current ^= 1;
            }
            pendingWrite?.GetAwaiter().GetResult();
            pendingWrite = null;
        }
        finally
        {
            // Never hand a buffer back to the pool while a write may still read it.
            try
            {
                pendingWrite?.Wait();
            }
            catch (AggregateException)
            {
            }
            ArrayPool<byte>.Shared.Return(buffers[0]);
            ArrayPool<byte>.Shared.Return(buffers[1]);
        }
    }

    /// <summary>
    /// llama's permute: reshape(heads, 2, rows/heads/2, ...).swapaxes(1, 2). Output row (h, i, j) comes from
    /// source row (h, j, i), where a head has <paramref name="headRows"/> rows split into two halves.
    /// </summary>
    internal static long PermutedSourceRow(long row, long headRows)
    {
        long head = row / headRows;
        long within = row % headRows;
        long half = headRows / 2;
        return head * headRows + (within % 2) * half + within / 2;
    }

    private static void ConvertUnit(byte* source, SafetensorsDataType sourceType, int count, Span<byte> destination, GgmlType target, float* scratch,
        WeightScaleRows? scales, long sourceRow)
    {
        if (scales is not null)
        {
            SourceElementDecoder.ToF32(source, sourceType, count, scratch);
            scales.Apply(sourceRow, new Span<float>(scratch, count));
            FromF32(new ReadOnlySpan<float>(scratch, count), destination, target);
            return;
        }
        if (sourceType == SafetensorsDataType.BF16 && target == GgmlType.BF16)
        {
            fixed (byte* d = destination)
            {
                SourceElementDecoder.CopyBf16((ushort*)source, (ushort*)d, count);
            }
            return;
        }
        if ((sourceType == SafetensorsDataType.F32 && target == GgmlType.F32) || (sourceType == SafetensorsDataType.F16 && target == GgmlType.F16))
        {
            new ReadOnlySpan<byte>(source, destination.Length).CopyTo(destination);
            return;
        }
        SourceElementDecoder.ToF32(source, sourceType, count, scratch);
        FromF32(new ReadOnlySpan<float>(scratch, count), destination, target);
    }

    private static void FromF32(ReadOnlySpan<float> values, Span<byte> destination, GgmlType target)
    {
        switch (target)
        {
            case GgmlType.F32:
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).CopyTo(destination);
                break;
            case GgmlType.F16:
                HalfPrecisionConverter.ToF16(values, destination);
                break;
            case GgmlType.BF16:
                HalfPrecisionConverter.ToBF16(values, destination);
                break;
            default:
                // Q8_0 is the only quantized output; its quantizer is ggml's reference, which gguf-py's numpy Q8_0 equals.
                BlockFormats.Get(target).Quantize(values, 1, values.Length, destination);
                break;
        }
    }

    /// <summary>
    /// Values + 1, in the arithmetic torch uses for the converter's "data_torch + 1": F16 tensors stay F16 (the sum is
    /// rounded to half precision), everything else has been widened to F32 first.
    /// </summary>
    private static float[] PlusOne(PlannedTensor tensor)
    {
        var source = tensor.Source;
        var values = new float[checked((int)source.ElementCount)];
        fixed (float* p = values)
        {
            SourceElementDecoder.ToF32(source.Input!.At(source.Offset), source.DataType, values.Length, p);
        }
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = source.DataType == SafetensorsDataType.F16 ? (float)(Half)(values[i] + 1f) : values[i] + 1f;
        }
        return values;
    }

    private static float[] Transposed(PlannedTensor tensor)
    {
        var source = tensor.Source;
        long rows = source.Shape[0], cols = source.Shape[1];
        if (rows * cols > int.MaxValue)
        {
            throw new NotSupportedException($"Tensor '{tensor.SourceName}' is too large to transpose.");
        }
        var input = new float[rows * cols];
        fixed (float* p = input)
        {
            SourceElementDecoder.ToF32(source.Input!.At(source.Offset), source.DataType, input.Length, p);
        }
        var output = new float[input.Length];
        const int tile = 64;
        for (long r0 = 0; r0 < rows; r0 += tile)
        {
            for (long c0 = 0; c0 < cols; c0 += tile)
            {
                long rEnd = Math.Min(rows, r0 + tile), cEnd = Math.Min(cols, c0 + tile);
                for (long r = r0; r < rEnd; r++)
                {
                    for (long c = c0; c < cEnd; c++)
                    {
                        output[c * rows + r] = input[r * cols + c];
                    }
                }
            }
        }
        return output;
    }
}
