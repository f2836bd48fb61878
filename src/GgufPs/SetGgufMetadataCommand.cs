using System.Collections;
using System.Diagnostics;
using System.Management.Automation;

namespace GgufPs.Commands;

/// <summary>Set-GgufMetadata: changes, adds or removes metadata keys, in place when the layout allows or into a copy.</summary>
[Cmdlet(VerbsCommon.Set, "GgufMetadata", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(GgufModelInfo))]
public sealed class SetGgufMetadataCommand : PSCmdlet
{
    private readonly CancellationTokenSource _stop = new();

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
        if (!File.Exists(input))
        {
            WriteError(ErrorCatalog.FileNotFound(input));
            return;
        }
        string? output = OutputPath is null ? null : FileSystemPathResolver.ResolveOutput(this, OutputPath);
        if (output is not null && string.Equals(System.IO.Path.GetFullPath(output), input, StringComparison.Ordinal))
        {
            output = null;
        }
        try
        {
            Edit(input, output);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException or OperationCanceledException)
        {
            WriteError(ErrorCatalog.Record(ex, input));
        }
    }

    protected override void StopProcessing() => _stop.Cancel();

    private void Edit(string input, string? output)
    {
        GgufMetadataEditor editor;
        bool patchInPlace;
        using (var file = GgufFile.Open(input))
        {
            editor = new GgufMetadataEditor(file.Metadata, Unwrap(Set), Remove);
            if (editor.Changes.Count == 0)
            {
                WriteWarning($"No metadata changes were given for '{input}'.");
                return;
            }
            string description = string.Join("; ", editor.Changes.Select(Describe));
            patchInPlace = output is null && editor.FitsInPlace;
            if (output is not null && File.Exists(output) && !Force)
            {
                WriteError(new ErrorRecord(new IOException($"'{output}' already exists; use -Force to replace it."),
                    "OutputExists", ErrorCategory.ResourceExists, output));
                return;
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
                Copy(file, editor, output ?? input);
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

    private void Copy(GgufFile file, GgufMetadataEditor editor, string target)
    {
        var progress = new ProgressRecord(1, "Set-GgufMetadata", $"Copying tensors to {target}");
        var clock = Stopwatch.StartNew();
        long lastShown = -1;
        GgufCopier.CopyWithMetadata(file, editor.Result, target, overwrite: true, (done, total) =>
        {
            if (clock.ElapsedMilliseconds - lastShown < 200 && done < total)
            {
                return;
            }
            lastShown = clock.ElapsedMilliseconds;
            progress.PercentComplete = total == 0 ? 100 : (int)(done * 100 / total);
            if (done > 0 && done < total)
            {
                progress.SecondsRemaining = (int)(clock.Elapsed.TotalSeconds * (total - done) / done);
            }
            WriteProgress(progress);
        }, _stop.Token);
        progress.RecordType = ProgressRecordType.Completed;
        WriteProgress(progress);
    }

    private static string Describe(GgufMetadataChange c) => c.Kind switch
    {
        GgufMetadataChangeKind.Add => $"add {c.Key} = {c.NewValue}",
        GgufMetadataChangeKind.Remove => $"remove {c.Key}",
        _ => $"{c.Key}: {c.OldValue} -> {c.NewValue}",
    };

    // PowerShell may wrap values in PSObject; the core wants plain .NET values.
    private static Hashtable? Unwrap(IDictionary? set)
    {
        if (set is null)
        {
            return null;
        }
        var plain = new Hashtable();
        foreach (DictionaryEntry item in set)
        {
            object? value = item.Value is PSObject ps ? ps.BaseObject : item.Value;
            if (value is object[] array)
            {
                value = array.Select(v => v is PSObject p ? p.BaseObject : v).ToArray();
            }
            plain[item.Key is PSObject k ? k.BaseObject : item.Key] = value;
        }
        return plain;
    }
}
