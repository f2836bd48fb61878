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
    private readonly HfDownloadBatch _requests = new();

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
        _requests.Add(new HfDownloadRequest
        {
            Repository = Repository,
            Revision = Revision,
            Files = File?.ToList(),
            Include = Include,
            Exclude = Exclude,
            OutputPath = FileSystemPathResolver.ResolveOptionalOutput(this, OutputPath),
            Force = Force,
        });
    }

    protected override void EndProcessing()
    {
        // A bad -Endpoint ends the command: every request would fail the same way.
        var settings = ThrowCoreErrors(Endpoint, () => HubCommandSettings.Resolve(Endpoint, Token));
        foreach (var request in _requests.Requests)
        {
            if (Interrupted)
            {
                return;
            }
            ReportCoreErrors(request.Repository, () => Save(settings, request));
        }
    }

    private void Save(HubSettings settings, HfDownloadRequest request)
    {
        using var client = new HfHubClient(settings);
        var downloader = new HfModelDownloader(client);
        var plan = RunWorker((channel, cancel) =>
        {
            channel.Progress(new WorkerProgress(1, HfDownloadText.Activity(request.Repository), HfDownloadText.Listing(request.Revision)));
            return downloader.PlanAsync(request, cancel).GetAwaiter().GetResult();
        });
        string where = request.OutputPath ?? plan.Folder;
        if (IsWhatIf())
        {
            foreach (var file in plan.Files)
            {
                ShouldProcess(HfDownloadText.FileTarget(plan, file), HfDownloadText.FileAction(file));
            }
            return;
        }
        if (!ShouldProcess(where, HfDownloadText.Action(plan, request.Revision)))
        {
            return;
        }
        if (plan.Offline)
        {
            WriteWarning(HfDownloadText.Offline(plan));
        }

        // The download runs on the thread pool while the worker samples its progress a few times a second.
        var results = RunInterruptible((channel, cancel) =>
            HfSampledDownload.Run(downloader, plan, TimeSpan.FromMilliseconds(SampleMilliseconds), new HfDownloadProgressBars(channel, plan).Report, cancel), HfDownloadText.Stopped);
        if (results is null)
        {
            return;
        }
        foreach (var failure in results.Where(r => r.Error is not null))
        {
            WriteCoreError(failure.Error!, $"{plan.Repository}/{failure.Path}");
        }
        WriteObject(SavedHfItems.Of(request, plan, results), enumerateCollection: true);
    }
}
