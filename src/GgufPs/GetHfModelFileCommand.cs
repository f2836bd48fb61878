using System.Management.Automation;
using GgufPs.Hub;

namespace GgufPs.Commands;

/// <summary>
/// Get-HfModelFile: the files of a Hub repository with sizes, LFS SHA-256 and, for .gguf files, the quantization type
/// in the name (huggingface_hub's list_repo_tree). Pipes into Save-HfModel.
/// </summary>
[Cmdlet(VerbsCommon.Get, "HfModelFile")]
[OutputType(typeof(HfModelFile))]
public sealed class GetHfModelFileCommand : LongRunningCommand
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Id")]
    [ValidateNotNullOrEmpty]
    public string Repository { get; set; } = "";

    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Revision { get; set; } = "main";

    [Parameter]
    public string? Token { get; set; }

    [Parameter]
    public string? Endpoint { get; set; }

    protected override void ProcessRecord()
    {
        ReportCoreErrors(Repository, () =>
        {
            var settings = HubCommandSettings.Resolve(Endpoint, Token);
            var files = RunWorker((channel, cancel) =>
            {
                channel.Progress(new WorkerProgress(1, $"Listing {Repository}", $"revision {Revision}"));
                using var client = new HfHubClient(settings);
                return client.ListFilesAsync(Repository, Revision, cancel).GetAwaiter().GetResult();
            });
            foreach (var file in files)
            {
                WriteObject(file);
            }
        });
    }
}
