using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace GgufPs.Bench;

/// <summary>
/// Runs a benchmark process as a user would, timing it from start to exit and sampling its peak resident memory
/// (VmHWM, mapped model pages included) from /proc while it runs, since the value is gone once it exits. Its CPU
/// time (user + system, all threads) comes from getrusage(RUSAGE_CHILDREN) before and after: children run one at a
/// time, so the difference is this child's.
/// </summary>
internal static partial class ChildProcess
{
    public sealed record Result(int ExitCode, string Output, string Errors, double WallSeconds, long PeakRssBytes, double CpuSeconds);

    /// <summary>Runs this benchmark program again with <paramref name="arguments"/> (a fresh, cold .NET process).</summary>
    public static Result RunBench(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var list = new List<string>();
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
        {
            list.Add(typeof(ChildProcess).Assembly.Location);
        }
        list.AddRange(arguments);
        return Run(Environment.ProcessPath!, list, environment);
    }

    public static Result Run(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in arguments)
        {
            start.ArgumentList.Add(a);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        double cpuBefore = ChildrenCpuSeconds();
        long begin = Stopwatch.GetTimestamp();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        long peak = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            string status = $"/proc/{process.Id}/status";
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, ReadPeakRss(status));
                try
                {
                    await Task.Delay(20, sampling.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        });
        var errors = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        double wall = Stopwatch.GetElapsedTime(begin).TotalSeconds;
        sampling.Cancel();
        sampler.Wait();
        return new Result(process.ExitCode, output, errors.Result, wall, peak, ChildrenCpuSeconds() - cpuBefore);
    }

    /// <summary>User + system time of this process's waited-for children so far, or NaN where getrusage is missing.</summary>
    private static double ChildrenCpuSeconds()
    {
        if (!OperatingSystem.IsLinux())
        {
            return double.NaN;
        }
        var usage = new long[18];
        return getrusage(-1, usage) == 0 ? usage[0] + usage[1] / 1e6 + usage[2] + usage[3] / 1e6 : double.NaN;
    }

    // struct rusage: two timevals (seconds, microseconds), then fourteen longs.
    [LibraryImport("libc")]
    private static partial int getrusage(int who, [Out] long[] usage);

    /// <summary>VmHWM of a process's status file in bytes, or 0 when it is gone.</summary>
    public static long ReadPeakRss(string statusPath)
    {
        try
        {
            foreach (string line in File.ReadLines(statusPath))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return 0;
    }

    /// <summary>This process's own peak resident memory.</summary>
    public static long OwnPeakRss() => OperatingSystem.IsLinux() ? ReadPeakRss("/proc/self/status") : Process.GetCurrentProcess().PeakWorkingSet64;

    public static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
}
