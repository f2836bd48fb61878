namespace GgufPs.Tests.Gguf;

public class GgufMetadataTests
{
    [Fact]
    public void IndexerGivesValuesAndEnumerationKeepsFileOrder()
    {
        using var file = GgufFile.Open(FixturePaths.Stories260K);
        Assert.Equal("llama", file.Metadata["general.architecture"]);
        Assert.Null(file.Metadata["no.such.key"]);
        Assert.Equal("tokenizer.ggml.tokens", file.Metadata.First().Key);
        Assert.Equal("general.architecture", file.Metadata[4].Key);
        Assert.Equal(19, file.Metadata.Count);
    }

    [Fact]
    public void ArraysDisplayWithoutDecodingAndDecodeOnAccess()
    {
        using var file = GgufFile.Open(FixturePaths.VocabLlamaSpm);
        var tokens = file.Metadata.GetEntry("tokenizer.ggml.tokens")!;
        Assert.Equal("[string × 32000]", tokens.DisplayValue);
        Assert.Equal(32000, tokens.Count);
        var values = Assert.IsType<string[]>(tokens.Value);
        Assert.Equal("<unk>", values[0]);
        Assert.Same(values, tokens.Value);
    }

    [Fact]
    public void MetadataOutlivesTheFile()
    {
        GgufModelInfo info;
        using (var file = GgufFile.Open(FixturePaths.VocabGpt2))
        {
            info = file.ToModelInfo();
        }
        Assert.Equal(50000, ((string[])info.Metadata["tokenizer.ggml.merges"]!).Length);
    }

    [Fact]
    public void IntegerAccessorsAcceptEveryIntegerWidth()
    {
        var collection = new GgufMetadataCollection(
        [
            GgufMetadataEntry.Create("a", 5u),
            GgufMetadataEntry.Create("b", 6UL),
            GgufMetadataEntry.Create("c", (short)-7),
            GgufMetadataEntry.Create("d", 1.5f),
        ]);
        Assert.Equal(5, collection.GetInteger("a"));
        Assert.Equal(6, collection.GetInteger("b"));
        Assert.Equal(-7, collection.GetInteger("c"));
        Assert.Null(collection.GetInteger("d"));
        Assert.Equal(1.5, collection.GetNumber("d"));
    }

    [Fact]
    public void ModelInfoSummarisesAFixture()
    {
        var info = GgufFile.ReadInfo(FixturePaths.Stories260K);
        Assert.Equal("llama", info.Architecture);
        Assert.Equal(48, info.TensorCount);
        Assert.Equal(64, info.EmbeddingLength);
        Assert.Equal(5, info.BlockCount);
        Assert.Equal(8, info.HeadCount);
        Assert.Equal(4, info.HeadCountKv);
        Assert.Equal(2048, info.ContextLength);
        Assert.Equal(512, info.VocabularySize);
        Assert.Equal("llama", info.TokenizerModel);
        Assert.Null(info.FileType);
        Assert.Equal(32.0, info.BitsPerWeight, 6);

        var f16 = GgufFile.ReadInfo(FixturePaths.TinyRandomLlama);
        Assert.Equal("MOSTLY_F16", f16.FileType);
    }

    [Fact]
    public void TypeNamesParseCaseInsensitively()
    {
        Assert.True(GgmlTypeInfo.TryParse("q4_k", out var t));
        Assert.Equal(GgmlType.Q4_K, t);
        Assert.False(GgmlTypeInfo.TryParse("Q4_K_M", out _));
        Assert.Equal("Unknown(77)", GgmlTypeInfo.Get((GgmlType)77).Name);
        Assert.Equal("MOSTLY_Q4_K_M", GgufModelInfo.FileTypeName(15));
        Assert.Equal("Unknown(500)", GgufModelInfo.FileTypeName(500));
    }
}
