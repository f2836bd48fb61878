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
        string input = FileSystemPathResolver.ResolveOutput(this, Path);
        if (!FileSystemPathResolver.CheckExistingFile(this, input))
        {
            return;
        }
        string? output = OutputPath is null ? null : FileSystemPathResolver.ResolveOutput(this, OutputPath);
        try
        {
            // -OutputPath naming the input itself is an edit in place.
            Edit(input, output is null || FileSystemPath.AreSame(output, input) ? null : output);
        }
        catch (Exception ex) when (ErrorCatalog.Covers(ex))
        {
            WriteCoreError(ex, input);
        }
    }

    private void Edit(string input, string? output)
    {
        // A split set keeps the model's metadata in its first part, which is where llama.cpp reads it.
        using (var set = GgufFile.Open(input))
        {
            if (set.IsSplit)
            {
                if (output is not null)
                {
                    throw new ArgumentException($"'{input}' is part of a split set of {set.SplitCount} files, whose metadata is edited in place in its first part; -OutputPath cannot make a copy of a set. Copy the parts first, then edit the copy.");
                }
                WriteWarning($"'{input}' is part of a split set of {set.SplitCount} files: editing the metadata of its first part, '{set.Path}'.");
                input = set.Path;
            }
        }
        GgufMetadataEditor editor;
        bool patchInPlace;
        using (var file = GgufFile.OpenSingle(input))
        {
            var set = PlainValueConverter.ToPlainEntries(Set, nameof(Set)).ToDictionary(e => e.Key, e => e.Value);
            editor = new GgufMetadataEditor(file.Metadata, set, Remove);
            if (editor.Changes.Count == 0)
            {
                WriteWarning($"No metadata changes were given for '{input}'.");
                return;
            }
            string description = string.Join("; ", editor.Changes.Select(Describe));
            patchInPlace = output is null && editor.FitsInPlace;
            if (output is not null)
            {
                OutputFile.Check(output, [input], Force);
            }
            if (output is null && !patchInPlace && !Force)
            {
                WriteError(new ErrorRecord(
                    new InvalidOperationException($"These changes alter the layout of '{input}' ({description}), so it cannot be edited in place. Give -OutputPath to write a copy, or -Force to rewrite the file through a temporary copy."),
                    "LayoutChange", ErrorCategory.InvalidOperation, input));
                return;
            }
            string action = output is not null ? $"Write a copy of '{input}' with metadata changes: {description}"
                : patchInPlace ? $"Set metadata in place: {description}"
                : $"Rewrite through a temporary copy with metadata changes: {description}";
            if (!ShouldProcess(output ?? input, action) || !ConfirmKeysLlamaCppNeeds(editor, input))
            {
                return;
            }
            if (!patchInPlace)
            {
                string target = output ?? input;
                RunWorker((channel, cancel) => Copy(channel, cancel, file, editor, target));
            }
        }
        if (patchInPlace)
        {
            editor.PatchInPlace(input);
        }
        WriteObject(GgufFile.ReadInfo(output ?? input));
    }

    private bool ConfirmKeysLlamaCppNeeds(GgufMetadataEditor editor, string input)
    {
        foreach (var change in editor.Changes.Where(c => c.IsRequiredByLlamaCpp))
        {
            string verb = change.Kind == GgufMetadataChangeKind.Remove ? "Removing" : "Changing";
            if (!Force && !ShouldContinue(
                    $"{verb} '{change.Key}' can stop llama.cpp from loading '{input}': it reads this key to build the model. Continue?",
                    "A key llama.cpp needs"))
            {
                return false;
            }
        }
        return true;
    }

    // On the worker thread.
    private static bool Copy(WorkerChannel channel, CancellationToken cancel, GgufFile file, GgufMetadataEditor editor, string target)
    {
        GgufCopier.CopyWithMetadata(file, editor.Result, target, overwrite: true, (done, total) => channel.Progress(
            new WorkerProgress(1, "Set-GgufMetadata", $"Copying tensors to {target}")
            {
                PercentComplete = total == 0 ? 100 : WorkerProgress.Percent(done, total),
                Remaining = WorkerProgress.RemainingAfter(channel.Elapsed, done, total),
            }), cancel);
        return true;
    }

    private static string Describe(GgufMetadataChange c) => c.Kind switch
    {
        GgufMetadataChangeKind.Add => $"add {c.Key} = {c.NewValue}",
        GgufMetadataChangeKind.Remove => $"remove {c.Key}",
        _ => $"{c.Key}: {c.OldValue} -> {c.NewValue}",
    };
}
