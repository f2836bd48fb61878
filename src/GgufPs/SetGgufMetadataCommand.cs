using System.Collections;
using System.Management.Automation;
using GgufPs.Workflow;

namespace GgufPs.Commands;

/// <summary>Set-GgufMetadata: changes, adds or removes metadata keys, in place when the layout allows or into a copy.</summary>
[Cmdlet(VerbsCommon.Set, "GgufMetadata", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(GgufModelInfo))]
public sealed class SetGgufMetadataCommand : LongRunningCommand
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(Position = 1)]
    public IDictionary? Set { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Remove { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? OutputPath { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        if (FileSystemPathResolver.ResolveExistingFile(this, Path) is not { } input)
        {
            return;
        }
        string? output = FileSystemPathResolver.ResolveOptionalOutput(this, OutputPath);
        // -OutputPath naming the input itself is an edit in place.
        ReportCoreErrors(input, () => Edit(input, output is null || FileSystemPath.AreSame(output, input) ? null : output));
    }

    private void Edit(string input, string? output)
    {
        input = MetadataEditPlan.EditedFile(input, copying: output is not null, WriteWarning);
        MetadataEditPlan plan;
        GgufMetadataEditor editor;
        using (var file = GgufFile.OpenSingle(input))
        {
            editor = new GgufMetadataEditor(file.Metadata, PlainValueConverter.ToPlainEntries(Set, nameof(Set)).ToDictionary(e => e.Key, e => e.Value), Remove);
            if (editor.Changes.Count == 0)
            {
                WriteWarning(MetadataEditPlan.NoChanges(input));
                return;
            }
            plan = MetadataEditPlan.Create(editor, input, output, Force);
            if (output is not null)
            {
                OutputFile.Check(output, [input], Force);
            }
            if (plan.NeedsForce)
            {
                WriteError(new ErrorRecord(new InvalidOperationException(plan.LayoutChangeMessage), "LayoutChange", ErrorCategory.InvalidOperation, input));
                return;
            }
            if (!ShouldProcess(plan.Target, plan.Action) || !ConfirmKeysLlamaCppNeeds(editor, input))
            {
                return;
            }
            if (!plan.PatchesInPlace)
            {
                RunWorker((channel, cancel) => Copy(channel, cancel, file, editor, plan));
            }
        }
        if (plan.PatchesInPlace)
        {
            editor.PatchInPlace(input);
        }
        WriteObject(GgufFile.ReadInfo(plan.Target));
    }

    private bool ConfirmKeysLlamaCppNeeds(GgufMetadataEditor editor, string input) =>
        Force || editor.Changes.Where(c => c.IsRequiredByLlamaCpp).All(change => ShouldContinue(MetadataEditPlan.KeyLlamaCppNeedsQuery(change, input), "A key llama.cpp needs"));

    // On the worker thread.
    private static void Copy(WorkerChannel channel, CancellationToken cancel, GgufFile file, GgufMetadataEditor editor, MetadataEditPlan plan)
    {
        GgufCopier.CopyWithMetadata(file, editor.Result, plan.Target, overwrite: true, (done, total) => channel.Progress(
            new WorkerProgress(1, "Set-GgufMetadata", plan.CopyStatus)
            {
                PercentComplete = total == 0 ? 100 : WorkerProgress.Percent(done, total),
                Remaining = WorkerProgress.RemainingAfter(channel.Elapsed, done, total),
            }), cancel);
    }
}
