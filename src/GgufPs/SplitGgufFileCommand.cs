using System.Globalization;
using System.Management.Automation;
using GgufPs.Workflow;

namespace GgufPs.Commands;

/// <summary>
/// Split-GgufFile: llama-gguf-split --split. Writes a model as a split set, byte-identical to llama.cpp's tool, and
/// returns the set as one GgufModelInfo (every GgufPs cmdlet reads the whole set from it).
/// </summary>
[Cmdlet(VerbsCommon.Split, "GgufFile", DefaultParameterSetName = MaxSizeSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(GgufModelInfo))]
public sealed class SplitGgufFileCommand : LongRunningCommand
{
    private const string MaxSizeSet = "MaxSize";
    private const string MaxTensorsSet = "MaxTensors";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Bytes, or llama-gguf-split's '2M'/'2G' (powers of 1000).</summary>
    [Parameter(Mandatory = true, ParameterSetName = MaxSizeSet)]
    [ValidateNotNullOrEmpty]
    public string MaxSize { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = MaxTensorsSet)]
    [ValidateRange(1, int.MaxValue)]
    public int MaxTensors { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? OutputPath { get; set; }

    [Parameter]
    public SwitchParameter NoTensorFirstSplit { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        if (FileSystemPathResolver.ResolveExistingFile(this, Path) is not { } input)
        {
            return;
        }
        ReportCoreErrors(input, () =>
        {
            var options = new GgufSplitOptions
            {
                MaxBytes = ParameterSetName == MaxSizeSet ? GgufSplitOptions.ParseSize(MaxSize) : null,
                MaxTensors = ParameterSetName == MaxTensorsSet ? MaxTensors : null,
                NoTensorFirstSplit = NoTensorFirstSplit,
            };
            using var file = GgufFile.Open(input);
            string prefix = OutputPath is null ? DefaultPrefix(file) : FileSystemPathResolver.ResolveOutput(this, OutputPath);
            var plan = GgufSplitter.PlanSplit(file, prefix, options);
            if (!Approve(file, plan))
            {
                return;
            }
            if (!Force && plan.FirstOrDefault(p => File.Exists(p.Path)) is { } existing)
            {
                throw new OutputExistsException(existing.Path);
            }
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(plan[0].Path)!);
            long total = plan.Sum(p => p.TensorBytes);
            var info = RunWorker((channel, cancel) =>
            {
                GgufSplitter.Write(file, plan, Force, channel.ProgressOf<GgufCopyProgress>(p => new WorkerProgress(1, "Split-GgufFile",
                    string.Create(CultureInfo.InvariantCulture, $"Part {p.PartIndex + 1} of {p.PartCount}: {System.IO.Path.GetFileName(p.PartPath)}"))
                {
                    PercentComplete = WorkerProgress.Percent(p.BytesDone, total),
                    Remaining = WorkerProgress.RemainingAfter(channel.Elapsed, p.BytesDone, total),
                }), cancel);
                return GgufFile.ReadInfo(plan[0].Path);
            });
            WriteVerbose(string.Create(CultureInfo.InvariantCulture, $"Wrote {plan.Count} parts of '{input}' to '{System.IO.Path.GetDirectoryName(plan[0].Path)}'."));
            WriteObject(info);
        });
    }

    // The parts go beside the input: model.gguf gives model-00001-of-0000N.gguf, a set keeps its prefix.
    private static string DefaultPrefix(GgufFile file) =>
        GgufSplitNaming.TryParse(file.Path, out string prefix, out _, out _) && file.IsSplit ? prefix : GgufSplitNaming.PrefixOf(file.Path);

    private bool Approve(GgufFile file, IReadOnlyList<GgufSplitPlanPart> plan)
    {
        string action = string.Create(CultureInfo.InvariantCulture,
            $"Split into {plan.Count} parts ({file.Tensors.Count} tensors, {ByteSize.Format(plan.Sum(p => p.PredictedFileSize))})");
        if (!IsWhatIf())
        {
            return ShouldProcess($"{file.Path} -> {plan[0].Path} ...", action);
        }
        ShouldProcess(file.Path, action);
        foreach (var part in plan)
        {
            ShouldProcess(part.Path, string.Create(CultureInfo.InvariantCulture,
                $"Part {part.Index + 1} of {plan.Count}: {part.TensorCount} tensors{(part.Index == 0 ? " and the metadata" : "")}, {ByteSize.Format(part.PredictedFileSize)} ({part.PredictedFileSize} bytes)"));
        }
        return false;
    }
}
