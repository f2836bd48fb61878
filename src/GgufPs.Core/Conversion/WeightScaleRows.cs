namespace GgufPs.Conversion;

/// <summary>
/// The converter's dequant_simple applied a row at a time: weight.float() * scale.float(), the scale repeated over its
/// blocks (and cut to the weight's shape), or broadcast from per-row or per-tensor values. The scales are small and
/// read once; the weight is streamed.
/// </summary>
internal sealed unsafe class WeightScaleRows
{
    private readonly float[] _scales;
    private readonly long _columns;
    private readonly long _blockRows;
    private readonly long _blockColumns;
    private readonly long _scaleColumns;

    public WeightScaleRows(WeightScale scale, long[] weightShape)
    {
        long rows = weightShape[0];
        _columns = weightShape[1];
        var shape = scale.Scale.Shape;
        _scales = new float[checked((int)scale.Scale.ElementCount)];
        fixed (float* s = _scales)
        {
            SourceElementDecoder.ToF32(scale.Scale.Input!.At(scale.Scale.Offset), scale.Scale.DataType, _scales.Length, s);
        }
        if (scale.BlockSize is { Length: 2 } block && shape.Length == 2)
        {
            if ((rows + block[0] - 1) / block[0] > shape[0] || (_columns + block[1] - 1) / block[1] > shape[1])
            {
                throw new ModelFormatException(scale.ScaleName, $"its [{string.Join(", ", shape)}] blocks of [{block[0]}, {block[1]}] do not cover the weight [{rows}, {_columns}]");
            }
            (_blockRows, _blockColumns, _scaleColumns) = (block[0], block[1], shape[1]);
        }
        else if (_scales.Length == 1)
        {
            // One scale for the whole tensor: every element maps to block (0, 0).
            (_blockRows, _blockColumns, _scaleColumns) = (long.MaxValue, long.MaxValue, 1);
        }
        else if (_scales.Length == rows && (shape.Length == 1 || (shape.Length == 2 && shape[1] == 1)))
        {
            (_blockRows, _blockColumns, _scaleColumns) = (1, long.MaxValue, 1);
        }
        else if (shape.Length == 2 && shape[0] == rows && shape[1] == _columns)
        {
            (_blockRows, _blockColumns, _scaleColumns) = (1, 1, _columns);
        }
        else
        {
            throw new ModelFormatException(scale.ScaleName, $"its shape [{string.Join(", ", shape)}] does not broadcast over the weight [{rows}, {_columns}]");
        }
    }

    /// <summary>Multiplies source row <paramref name="row"/> (already widened to F32) by its scales.</summary>
    public void Apply(long row, Span<float> values)
    {
        long scaleRow = row / _blockRows * _scaleColumns;
        for (int c = 0; c < values.Length; c++)
        {
            values[c] *= _scales[scaleRow + c / _blockColumns];
        }
    }
}
