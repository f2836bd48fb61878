namespace GgufPs.Workflow;

/// <summary>
/// How Set-GgufMetadata applies its changes to one file: a copy when -OutputPath names another file; else a patch in
/// place when the changes fit the file's layout; else a rewrite through a temporary copy, which needs -Force.
/// </summary>
public sealed class MetadataEditPlan
{
    private MetadataEditPlan(string input, string? output, IReadOnlyList<GgufMetadataChange> changes, bool fitsInPlace, bool force)
    {
        Input = input;
        Output = output;
        Description = string.Join("; ", changes.Select(Describe));
        PatchesInPlace = output is null && fitsInPlace;
        NeedsForce = output is null && !fitsInPlace && !force;
    }

    public string Input { get; }

    /// <summary>The copy to write, or null for an edit of <see cref="Input"/>.</summary>
    public string? Output { get; }

    /// <summary>The file that ends with the changes.</summary>
    public string Target => Output ?? Input;

    /// <summary>The changes, as one line.</summary>
    public string Description { get; }

    public bool PatchesInPlace { get; }

    /// <summary>Whether the edit rewrites the file, which was not allowed (no -Force).</summary>
    public bool NeedsForce { get; }

    public string Action => Output is not null ? $"Write a copy of '{Input}' with metadata changes: {Description}"
        : PatchesInPlace ? $"Set metadata in place: {Description}"
        : $"Rewrite through a temporary copy with metadata changes: {Description}";

    public string LayoutChangeMessage =>
        $"These changes alter the layout of '{Input}' ({Description}), so it cannot be edited in place. Give -OutputPath to write a copy, or -Force to rewrite the file through a temporary copy.";

    public string CopyStatus => $"Copying tensors to {Target}";

    /// <summary>The plan for <paramref name="editor"/>'s changes; <paramref name="output"/> null edits the input.</summary>
    public static MetadataEditPlan Create(GgufMetadataEditor editor, string input, string? output, bool force) =>
        new(input, output, editor.Changes, editor.FitsInPlace, force);

    /// <summary>The question before a change to a key llama.cpp reads to build the model.</summary>
    public static string KeyLlamaCppNeedsQuery(GgufMetadataChange change, string input) =>
        $"{(change.Kind == GgufMetadataChangeKind.Remove ? "Removing" : "Changing")} '{change.Key}' can stop llama.cpp from loading '{input}': it reads this key to build the model. Continue?";

    /// <summary>
    /// The file an edit of <paramref name="input"/> changes: the input itself, or the first part of the split set it
    /// belongs to, which is where llama.cpp reads a set's metadata (<paramref name="warning"/> hears so). A copy
    /// (<paramref name="copying"/>) of a set is refused.
    /// </summary>
    public static string EditedFile(string input, bool copying, Action<string> warning)
    {
        ArgumentNullException.ThrowIfNull(warning);
        using var set = GgufFile.Open(input);
        if (!set.IsSplit)
        {
            return input;
        }
        if (copying)
        {
            throw new ArgumentException(SplitCopyRefused(input, set.SplitCount));
        }
        warning(SplitWarning(input, set.SplitCount, set.Path));
        return set.Path;
    }

    public static string NoChanges(string input) => $"No metadata changes were given for '{input}'.";

    private static string SplitCopyRefused(string input, int splitCount) =>
        $"'{input}' is part of a split set of {splitCount} files, whose metadata is edited in place in its first part; -OutputPath cannot make a copy of a set. Copy the parts first, then edit the copy.";

    private static string SplitWarning(string input, int splitCount, string firstPart) =>
        $"'{input}' is part of a split set of {splitCount} files: editing the metadata of its first part, '{firstPart}'.";

    private static string Describe(GgufMetadataChange c) => c.Kind switch
    {
        GgufMetadataChangeKind.Add => $"add {c.Key} = {c.NewValue}",
        GgufMetadataChangeKind.Remove => $"remove {c.Key}",
        _ => $"{c.Key}: {c.OldValue} -> {c.NewValue}",
    };
}
