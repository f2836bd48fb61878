using System.Management.Automation;
using GgufPs.Hub;

namespace GgufPs.Commands;

/// <summary>
/// Save-HfModel: huggingface-cli download (hf download) without Python. Downloads a repository or some of its files
/// into the shared Hugging Face cache or, with -OutputPath, a folder in huggingface_hub's --local-dir layout; files
/// already there are skipped. Emits the snapshot or output folder (or each file, with -File) with Repository and
/// CommitHash note properties, ready for Convert-Model and Get-GgufInfo.
/// </summary>
[Cmdlet(VerbsData.Save, "HfModel", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(FileInfo), typeof(DirectoryInfo))]
public sealed class SaveHfModelCommand : LongRunningCommand
{
    private const int SampleMilliseconds = 250;
    private readonly List<HfDownloadRequest> _requests = [];

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Id")]
    [ValidateNotNullOrEmpty]
    public string Repository { get; set; } = "";

    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("Path")]
    [ValidateNotNullOrEmpty]
    public string[]? File { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[] Include { get; set; } = [];

    [Parameter]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[] Exclude { get; set; } = [];

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Revision { get; set; } = "main";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? OutputPath { get; set; }

    [Parameter]
    public string? Token { get; set; }

    [Parameter]
    public string? Endpoint { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    // Pipeline input (one file per Get-HfModelFile object) is gathered, so the files of a repository download together.
    protected override void ProcessRecord()
    {
        string? output = OutputPath is null ? null : FileSystemPathResolver.ResolveOutput(this, OutputPath);
        var existing = _requests.FirstOrDefault(r => string.Equals(r.Repository, Repository, StringComparison.OrdinalIgnoreCase)
            && r.Revision == Revision && r.OutputPath == output && r.Files is not null && File is not null);
        if (existing is not null)
        {
            _requests[_requests.IndexOf(existing)] = existing with { Files = [.. existing.Files!, .. File!.Where(f => !existing.Files!.Contains(f))] };
            return;
        }
        _requests.Add(new HfDownloadRequest
        {
            Repository = Repository,
            Revision = Revision,
            Files = File?.ToList(),
            Include = Include,
            Exclude = Exclude,
            OutputPath = output,
            Force = Force,
        });
    }

    protected override void EndProcessing()
    {
        HubSettings settings;
        try
        {
            settings = HubCommandSettings.Resolve(Endpoint, Token);
        }
        catch (ArgumentException ex)
        {
            ThrowCoreError(ex, Endpoint);
            return;
        }
        foreach (var request in _requests)
        {
            if (Interrupted)
            {
                return;
            }
            try
            {
                Save(settings, request);
            }
            catch (OperationCanceledException) when (Interrupted)
            {
                WriteWarning("Stopped. Partial files stay as .incomplete files and resume on the next run.");
            }
            catch (Exception ex) when (ErrorCatalog.Covers(ex))
            {
                WriteCoreError(ex, request.Repository);
            }
        }
    }

    private void Save(HubSettings settings, HfDownloadRequest request)
    {
        using var client = new HfHubClient(settings);
        var downloader = new HfModelDownloader(client);
        var plan = RunWorker((channel, cancel) =>
        {
            channel.Progress(new WorkerProgress(1, $"Save-HfModel {request.Repository}", $"Listing revision {request.Revision}"));
            return downloader.PlanAsync(request, cancel).GetAwaiter().GetResult();
        });
        string where = request.OutputPath ?? plan.Folder;
        if (IsWhatIf())
        {
            foreach (var file in plan.Files)
            {
                ShouldProcess($"{plan.Repository}/{file.Path} ({HubCommandSettings.FormatSize(file.Size)}) -> {file.LocalPath}",
                    file.IsPresent ? "Keep (already present)" : "Download");
            }
            return;
        }
        int missing = plan.Files.Count(f => !f.IsPresent);
        string action = missing == 0
            ? $"Use the {plan.Files.Count} file(s) already present of {plan.Repository}@{request.Revision}"
            : $"Download {missing} of {plan.Files.Count} file(s) of {plan.Repository}@{request.Revision} ({HubCommandSettings.FormatSize(plan.BytesToDownload)})";
        if (!ShouldProcess(where, action))
        {
            return;
        }
        if (plan.Offline)
        {
            WriteWarning($"The Hub was not asked (offline); using what is on disk at {plan.Folder}.");
        }

        var results = RunWorker((channel, cancel) => Download(channel, downloader, plan, cancel), interruptible: true);
        foreach (var failure in results.Where(r => r.Error is not null))
        {
            WriteCoreError(failure.Error!, $"{plan.Repository}/{failure.Path}");
        }
        if (request.Files is not null)
        {
            foreach (var file in results.Where(r => r.Error is null))
            {
                WriteObject(Annotate(new FileInfo(file.LocalPath), plan));
            }
        }
        else if (results.All(r => r.Error is null))
        {
            WriteObject(Annotate(new DirectoryInfo(plan.Folder), plan));
        }
    }

    // On the worker thread: the download runs on the thread pool while this samples its progress a few times a second.
    private static IReadOnlyList<HfDownloadedFile> Download(WorkerChannel channel, HfModelDownloader downloader, HfDownloadPlan plan, CancellationToken cancel)
    {
        var progress = HfModelDownloader.CreateProgress(plan);
        var ids = plan.Files.Select((f, i) => (f.Path, Id: i + 2)).ToDictionary(x => x.Path, x => x.Id, StringComparer.Ordinal);
        var work = downloader.DownloadAsync(plan, progress, cancel);
        string activity = $"Save-HfModel {plan.Repository}";
        // Waiting on the handle, not the task: a cancelled download then surfaces as its own exception below.
        while (!((IAsyncResult)work).AsyncWaitHandle.WaitOne(SampleMilliseconds))
        {
            Report(channel, progress, ids, activity);
        }
        Report(channel, progress, ids, activity);
        return work.GetAwaiter().GetResult();
    }

    private static void Report(WorkerChannel channel, HfDownloadProgress progress, Dictionary<string, int> ids, string activity)
    {
        var (overall, files) = progress.Sample();
        int done = progress.Files.Count(f => f.State is HfFileState.Done or HfFileState.Skipped);
        channel.Progress(new WorkerProgress(1, activity,
            $"{done} of {progress.Files.Count} files, {HubCommandSettings.FormatSize(overall.Bytes)} of {HubCommandSettings.FormatSize(overall.Total)}{Rate(overall)}")
        {
            PercentComplete = overall.PercentComplete,
            Remaining = overall.Remaining,
        });
        foreach (var file in files)
        {
            bool finished = file.State is HfFileState.Done or HfFileState.Failed;
            channel.Progress(new WorkerProgress(ids[file.Name], file.Name,
                file.State == HfFileState.Verifying ? "checking SHA-256"
                    : $"{HubCommandSettings.FormatSize(file.Bytes)} of {HubCommandSettings.FormatSize(file.Total)}{Rate(file)}")
            {
                ParentId = 1,
                PercentComplete = file.PercentComplete,
                Remaining = file.Remaining,
                Completed = finished,
            });
        }
    }

    private static string Rate(HfTransferSample sample) =>
        sample.BytesPerSecond >= 1 ? $" at {HubCommandSettings.FormatSize((long)sample.BytesPerSecond)}/s" : "";

    private static PSObject Annotate(FileSystemInfo item, HfDownloadPlan plan)
    {
        var annotated = PSObject.AsPSObject(item);
        annotated.Properties.Add(new PSNoteProperty("Repository", plan.Repository));
        annotated.Properties.Add(new PSNoteProperty("CommitHash", plan.CommitHash));
        return annotated;
    }
}
