using System.Runtime.InteropServices;

namespace GgufPs.Bench;

/// <summary>The CPU time of this whole process (all threads), from clock_gettime(CLOCK_PROCESS_CPUTIME_ID) on Linux.</summary>
internal static partial class ProcessCpuClock
{
    private const int ProcessCpuTimeId = 2;

    /// <summary>Nanoseconds of CPU time, or null where the clock is not available.</summary>
    public static Func<long>? Nanoseconds => OperatingSystem.IsLinux() ? Read : null;

    private static long Read()
    {
        if (clock_gettime(ProcessCpuTimeId, out var time) != 0)
        {
            return 0;
        }
        return time.Seconds * 1_000_000_000 + time.Nanoseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", SetLastError = false)]
    private static partial int clock_gettime(int clock, out TimeSpec time);
}
