using System.Diagnostics;

namespace GgufPs.Inference;

/// <summary>One chunk of an <see cref="InferenceProfile"/>: its wall time (Stopwatch ticks), its CPU time and the time of each stage.</summary>
internal sealed record ProfiledChunk(long WallTicks, long CpuNanoseconds, IReadOnlyDictionary<string, StageTime> Stages)
{
    public double WallMilliseconds => WallTicks * 1000.0 / Stopwatch.Frequency;

    public double CpuMilliseconds => CpuNanoseconds / 1e6;
}
