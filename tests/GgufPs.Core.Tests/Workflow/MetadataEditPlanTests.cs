using System.Collections;
using GgufPs.Workflow;

namespace GgufPs.Tests.Workflow;

public class MetadataEditPlanTests
{
    private static GgufMetadataEditor Editor(Hashtable set, string[]? remove = null)
    {
        using var file = GgufFile.Open(FixturePaths.Stories260K);
        return new GgufMetadataEditor(file.Metadata, set, remove);
    }

    [Fact]
    public void AChangeThatFitsIsPatchedInPlace()
    {
        var plan = MetadataEditPlan.Create(Editor(new Hashtable { ["llama.context_length"] = 4096 }), "m.gguf", null, force: false);
        Assert.True(plan.PatchesInPlace);
        Assert.False(plan.NeedsForce);
        Assert.Equal("m.gguf", plan.Target);
        Assert.StartsWith("Set metadata in place: llama.context_length: ", plan.Action);
        Assert.EndsWith(" -> 4096", plan.Action);
    }

    [Fact]
    public void ALayoutChangeNeedsForceOrACopy()
    {
        var editor = Editor(new Hashtable { ["test.added"] = "x" });
        var inPlace = MetadataEditPlan.Create(editor, "m.gguf", null, force: false);
        Assert.False(inPlace.PatchesInPlace);
        Assert.True(inPlace.NeedsForce);
        Assert.Contains("cannot be edited in place", inPlace.LayoutChangeMessage);

        var rewrite = MetadataEditPlan.Create(editor, "m.gguf", null, force: true);
        Assert.False(rewrite.NeedsForce);
        Assert.StartsWith("Rewrite through a temporary copy", rewrite.Action);

        var copy = MetadataEditPlan.Create(editor, "m.gguf", "c.gguf", force: false);
        Assert.False(copy.NeedsForce);
        Assert.Equal("c.gguf", copy.Target);
        Assert.StartsWith("Write a copy of 'm.gguf'", copy.Action);
    }

    [Fact]
    public void DescribesAdditionsAndRemovals()
    {
        var plan = MetadataEditPlan.Create(Editor(new Hashtable { ["test.added"] = "x" }, ["llama.context_length"]), "m.gguf", "c.gguf", false);
        Assert.Contains("add test.added = x", plan.Description);
        Assert.Contains("remove llama.context_length", plan.Description);
    }

    [Fact]
    public void ASingleFileIsEditedItself()
    {
        var warnings = new List<string>();
        Assert.Equal(FixturePaths.Stories260K, MetadataEditPlan.EditedFile(FixturePaths.Stories260K, copying: true, warnings.Add));
        Assert.Empty(warnings);
    }

    [Fact]
    public void ASplitSetIsEditedInItsFirstPartAndNeverCopied()
    {
        using var dir = new TempDirectory();
        string[] parts;
        using (var file = GgufFile.Open(FixturePaths.Stories260K))
        {
            var plan = GgufSplitter.PlanSplit(file, dir.File("stories260K"), new GgufSplitOptions { MaxTensors = 20 });
            GgufSplitter.Write(file, plan, overwrite: false);
            parts = plan.Select(p => p.Path).ToArray();
        }
        var warnings = new List<string>();
        Assert.Equal(parts[0], MetadataEditPlan.EditedFile(parts[1], copying: false, warnings.Add));
        Assert.Equal($"'{parts[1]}' is part of a split set of {parts.Length} files: editing the metadata of its first part, '{parts[0]}'.", Assert.Single(warnings));

        var refused = Assert.Throws<ArgumentException>(() => MetadataEditPlan.EditedFile(parts[1], copying: true, warnings.Add));
        Assert.StartsWith($"'{parts[1]}' is part of a split set of {parts.Length} files", refused.Message);
        Assert.Single(warnings);
    }
}
