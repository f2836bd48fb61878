namespace GgufPs.Conversion;

/// <summary>Where a conversion is: reported before each tensor and once at the end.</summary>
public readonly record struct ConversionProgress(int TensorIndex, int TensorCount, string TensorName, long BytesWritten, long TotalBytes, TimeSpan Elapsed)
{
    public double Fraction => TotalBytes <= 0 ? 1 : Math.Min(1, (double)BytesWritten / TotalBytes);

    /// <summary>Estimated time left, from the rate so far; null until something has been written.</summary>
    public TimeSpan? Remaining => BytesWritten <= 0 || Elapsed <= TimeSpan.Zero
        ? null
        : TimeSpan.FromSeconds(Elapsed.TotalSeconds * (TotalBytes - BytesWritten) / BytesWritten);
}
