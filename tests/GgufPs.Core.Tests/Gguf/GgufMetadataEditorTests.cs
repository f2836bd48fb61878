using System.Collections;
using GgufPs.Oracle;

namespace GgufPs.Tests.Gguf;

public class GgufMetadataEditorTests
{
    [Fact]
    public void SameSizeNumericChangeFitsInPlaceAndPatchesOnlyThatValue()
    {
        using var dir = new TempDirectory();
        string path = dir.File("m.gguf");
        File.Copy(FixturePaths.Stories260K, path);
        byte[] before = File.ReadAllBytes(path);

        GgufMetadataEditor editor;
        using (var file = GgufFile.Open(path))
        {
            editor = new GgufMetadataEditor(file.Metadata, new Hashtable { ["llama.context_length"] = 4096 }, null);
        }
        Assert.True(editor.FitsInPlace);
        editor.PatchInPlace(path);

        byte[] after = File.ReadAllBytes(path);
        Assert.Equal(before.Length, after.Length);
        Assert.InRange(before.Zip(after).Count(p => p.First != p.Second), 1, 4);
        using var reread = GgufFile.Open(path);
        Assert.Equal(4096u, reread.Metadata["llama.context_length"]);
        var snapshot = LlamaCppOracle.ReadGguf(path)!;
        Assert.Equal(4096u, snapshot.Entries.First(e => e.Key == "llama.context_length").Value);
    }

    [Fact]
    public void StringChangeAndRemovalNeedACopyThatLlamaCppLoadsWithUnchangedTensors()
    {
        using var dir = new TempDirectory();
        string copy = dir.File("renamed.gguf");
        using (var file = GgufFile.Open(FixturePaths.Stories260K))
        {
            var editor = new GgufMetadataEditor(file.Metadata,
                new Hashtable { ["general.name"] = "a much longer model name", ["custom.note"] = "added" },
                ["tokenizer.ggml.seperator_token_id"]);
            Assert.False(editor.FitsInPlace);
            Assert.Equal(3, editor.Changes.Count);
            Assert.Contains(editor.Changes, c => c.Kind == GgufMetadataChangeKind.Remove && c.IsRequiredByLlamaCpp);
            Assert.Contains(editor.Changes, c => c.Key == "general.name" && !c.IsRequiredByLlamaCpp);
            GgufCopier.CopyWithMetadata(file, editor.Result, copy, overwrite: false);
        }

        var snapshot = LlamaCppOracle.ReadGguf(copy)!;
        Assert.Equal("a much longer model name", snapshot.Entries.First(e => e.Key == "general.name").Value);
        Assert.Equal("added", snapshot.Entries.First(e => e.Key == "custom.note").Value);
        Assert.DoesNotContain(snapshot.Entries, e => e.Key == "tokenizer.ggml.seperator_token_id");

        using var original = GgufFile.Open(FixturePaths.Stories260K);
        using var result = GgufFile.Open(copy);
        foreach (var tensor in original.Tensors)
        {
            Assert.True(original.GetTensorData(tensor).SequenceEqual(result.GetTensorData(result.FindTensor(tensor.Name)!)));
        }
        using var model = LlamaCppOracle.LoadModel(copy, contextLength: 32);
        Assert.NotNull(model);
    }

    [Fact]
    public void ValuesAreConvertedToTheExistingType()
    {
        using var file = GgufFile.Open(FixturePaths.Stories260K);
        var editor = new GgufMetadataEditor(file.Metadata, new Hashtable
        {
            ["llama.attention.layer_norm_rms_epsilon"] = 1e-6,
            ["llama.block_count"] = "5",
            ["tokenizer.ggml.scores"] = Enumerable.Repeat((object)0.5, 512).ToArray(),
        }, null);
        Assert.Equal(1e-6f, editor.Result.First(e => e.Key == "llama.attention.layer_norm_rms_epsilon").Value);
        Assert.Equal(5u, editor.Result.First(e => e.Key == "llama.block_count").Value);
        Assert.IsType<float[]>(editor.Result.First(e => e.Key == "tokenizer.ggml.scores").Value);
        Assert.True(editor.FitsInPlace);
    }

    [Fact]
    public void BadEditsAreRefusedWithClearMessages()
    {
        using var file = GgufFile.Open(FixturePaths.Stories260K);
        Assert.Contains("no metadata key", Assert.Throws<ArgumentException>(() => new GgufMetadataEditor(file.Metadata, null, ["no.such.key"])).Message);
        Assert.Contains("cannot be stored", Assert.Throws<ArgumentException>(() => new GgufMetadataEditor(file.Metadata, new Hashtable { ["llama.block_count"] = "five" }, null)).Message);
        Assert.Contains("power of two", Assert.Throws<ArgumentException>(() => new GgufMetadataEditor(file.Metadata, new Hashtable { ["general.alignment"] = 48u }, null)).Message);
    }
}
