namespace GgufPs.Hub;

/// <summary>
/// A download run on the thread pool while the calling thread samples its progress at an interval, for callers that
/// report progress from one thread (a cmdlet's worker).
/// </summary>
public static class HfSampledDownload
{
    /// <summary>Downloads <paramref name="plan"/>, calling <paramref name="sample"/> every <paramref name="interval"/> and once at the end.</summary>
    public static IReadOnlyList<HfDownloadedFile> Run(HfModelDownloader downloader, HfDownloadPlan plan, TimeSpan interval,
        Action<HfDownloadProgress> sample, CancellationToken cancel)
    {
        var progress = HfModelDownloader.CreateProgress(plan);
        var work = downloader.DownloadAsync(plan, progress, cancel);
        // Waiting on the handle, not the task: a cancelled download then surfaces as its own exception below.
        while (!((IAsyncResult)work).AsyncWaitHandle.WaitOne(interval))
        {
            sample(progress);
        }
        sample(progress);
        return work.GetAwaiter().GetResult();
    }
}
