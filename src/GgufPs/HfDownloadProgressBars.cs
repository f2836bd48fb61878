using GgufPs.Hub;

namespace GgufPs.Commands;

/// <summary>Save-HfModel's progress: a bar for the whole download, with a bar under it for each file in flight.</summary>
internal sealed class HfDownloadProgressBars(WorkerChannel channel, HfDownloadPlan plan)
{
    private readonly Dictionary<string, int> _ids = plan.Files.Select((f, i) => (f.Path, Id: i + 2)).ToDictionary(x => x.Path, x => x.Id, StringComparer.Ordinal);
    private readonly string _activity = HfDownloadText.Activity(plan.Repository);

    /// <summary>Draws a sample of the download's progress; called a few times a second.</summary>
    public void Report(HfDownloadProgress progress)
    {
        var (overall, files) = progress.Sample();
        channel.Progress(new WorkerProgress(1, _activity, HfDownloadText.OverallStatus(progress, overall)) { PercentComplete = overall.PercentComplete, Remaining = overall.Remaining });
        foreach (var file in files)
        {
            channel.Progress(new WorkerProgress(_ids[file.Name], file.Name, HfDownloadText.FileStatus(file))
            {
                ParentId = 1,
                PercentComplete = file.PercentComplete,
                Remaining = file.Remaining,
                Completed = file.State is HfFileState.Done or HfFileState.Failed,
            });
        }
    }
}
