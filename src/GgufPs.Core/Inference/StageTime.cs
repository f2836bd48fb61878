using System.Diagnostics;

namespace GgufPs.Inference;

/// <summary>
/// The time spent in one stage of an <see cref="InferenceProfile"/>: Stopwatch ticks of wall time, nanoseconds of
/// the process's CPU time (0 without a CPU clock), and how many times it ran.
/// </summary>
internal readonly record struct StageTime(long Ticks, long CpuNanoseconds, int Calls)
{
    public double Milliseconds => Ticks * 1000.0 / Stopwatch.Frequency;

    public double CpuMilliseconds => CpuNanoseconds / 1e6;
}
