using System.Globalization;
using System.Management.Automation;
using GgufPs.Workflow;

namespace GgufPs.Commands;

/// <summary>
/// Join-GgufFile: llama-gguf-split --merge. Merges a split set, given by any part, into one file byte-identical to
/// llama.cpp's tool, after checking that the set is complete and consistent.
/// </summary>
[Cmdlet(VerbsCommon.Join, "GgufFile", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(GgufModelInfo))]
public sealed class JoinGgufFileCommand : LongRunningCommand
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string OutputPath { get; set; } = "";

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        if (FileSystemPathResolver.ResolveExistingFile(this, Path) is not { } input)
        {
            return;
        }
        string output = FileSystemPathResolver.ResolveOutput(this, OutputPath);
        ReportCoreErrors(input, () =>
        {
            using var set = GgufFile.Open(input);
            var plan = GgufSplitter.PlanMerge(set, output);
            string parts = string.Join(", ", set.Parts.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.FileName} ({p.TensorCount} tensors)")));
            if (!ShouldProcess(output, string.Create(CultureInfo.InvariantCulture,
                    $"Merge {set.SplitCount} parts into one file of {set.Tensors.Count} tensors, {ByteSize.Format(plan.PredictedFileSize)}: {parts}")))
            {
                return;
            }
            if (!Force && File.Exists(output))
            {
                throw new OutputExistsException(output);
            }
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(output)!);
            long total = plan.TensorBytes;
            var info = RunWorker((channel, cancel) =>
            {
                GgufSplitter.Write(set, [plan], Force, channel.ProgressOf<GgufCopyProgress>(p => new WorkerProgress(1, "Join-GgufFile",
                    $"{set.SplitCount} parts -> {System.IO.Path.GetFileName(output)}")
                {
                    PercentComplete = WorkerProgress.Percent(p.BytesDone, total),
                    Remaining = WorkerProgress.RemainingAfter(channel.Elapsed, p.BytesDone, total),
                }), cancel);
                return GgufFile.ReadInfo(output);
            });
            WriteObject(info);
        });
    }
}
