using GgufPs.Hub;

namespace GgufPs.Tests.Hub;

/// <summary>Repository ids, file-name quantization types, -Include/-Exclude globs and the path guard.</summary>
public class HfNamesTests
{
    [Theory]
    [InlineData("llama-2-7b-chat.Q4_K_M.gguf", "Q4_K_M")]
    [InlineData("sub/Qwen2.5-0.5B-Instruct-q4_k_m.gguf", "Q4_K_M")]
    [InlineData("DeepSeek-R1-UD-IQ1_S-00001-of-00003.gguf", "IQ1_S")]
    [InlineData("ggml-model-f16.gguf", "F16")]
    [InlineData("model.BF16.gguf", "BF16")]
    [InlineData("Llama-3.2-1B-Instruct-Q8_0.gguf", "Q8_0")]
    [InlineData("phi-2.IQ2_XXS.gguf", "IQ2_XXS")]
    [InlineData("tiny.Q4_0_4_4.gguf", "Q4_0_4_4")]
    [InlineData("bitnet-TQ1_0.gguf", "TQ1_0")]
    [InlineData("gpt-oss-20b-MXFP4.gguf", "MXFP4")]
    [InlineData("Qwen3-8B-Q6_K_L.gguf", "Q6_K_L")]
    public void QuantizationTypeComesFromTheName(string path, string type) => Assert.Equal(type, HfQuantizationName.Parse(path));

    [Theory]
    [InlineData("model-00001-of-00002.gguf")]
    [InlineData("Q4_K_M.safetensors")]
    [InlineData("mmproj-model.gguf")]
    [InlineData("Qwen2-7B.gguf")]
    public void NoTypeWhenTheNameHasNone(string path) => Assert.Null(HfQuantizationName.Parse(path));

    [Theory]
    [InlineData("TheBloke/Llama-2-7B-Chat-GGUF")]
    [InlineData("gpt2")]
    [InlineData("org_1/name.v2")]
    public void ValidIds(string id) => Assert.Equal(id, HfRepositoryId.Validate(id));

    [Theory]
    [InlineData("")]
    [InlineData("a/b/c")]
    [InlineData("org/../x")]
    [InlineData("org--x/y")]
    [InlineData("org/na me")]
    public void InvalidIds(string id) => Assert.Throws<ArgumentException>(() => HfRepositoryId.Validate(id));

    [Fact]
    public void CacheFolderNameJoinsWithDoubleDashes() =>
        Assert.Equal("models--TheBloke--Llama-2-7B-Chat-GGUF", HfRepositoryId.CacheFolderName("TheBloke/Llama-2-7B-Chat-GGUF"));

    [Theory]
    [InlineData("*.gguf", "a.gguf", true)]
    [InlineData("*.gguf", "sub/a.gguf", true)]
    [InlineData("*Q4_K_M*", "llama.Q4_K_M.gguf", true)]
    [InlineData("*.GGUF", "a.gguf", false)]
    [InlineData("sub/", "sub/x/y.bin", true)]
    [InlineData("sub/", "other/x", false)]
    [InlineData("model-0000?-of-00002.safetensors", "model-00001-of-00002.safetensors", true)]
    [InlineData("[ab].txt", "b.txt", true)]
    [InlineData("[!ab].txt", "b.txt", false)]
    [InlineData("a+b(1).txt", "a+b(1).txt", true)]
    public void GlobsMatchLikePythonsFnmatch(string pattern, string path, bool match) => Assert.Equal(match, new HfGlobPattern(pattern).IsMatch(path));

    [Fact]
    public void IncludeThenExclude()
    {
        var include = new[] { new HfGlobPattern("*.json"), new HfGlobPattern("*.safetensors") };
        var exclude = new[] { new HfGlobPattern("tokenizer*") };
        Assert.True(HfGlobPattern.Selects("config.json", include, exclude));
        Assert.False(HfGlobPattern.Selects("tokenizer_config.json", include, exclude));
        Assert.False(HfGlobPattern.Selects("README.md", include, exclude));
        Assert.True(HfGlobPattern.Selects("README.md", [], []));
    }

    [Theory]
    [InlineData("config.json", true)]
    [InlineData("sub/dir/file.bin", true)]
    [InlineData("..", false)]
    [InlineData("../evil.txt", false)]
    [InlineData("sub/../../evil.txt", false)]
    [InlineData("/etc/passwd", false)]
    [InlineData("C:/Windows/evil.dll", false)]
    [InlineData("c:evil", false)]
    [InlineData("sub\\..\\evil", false)]
    [InlineData("a//b", false)]
    [InlineData("./a", false)]
    [InlineData("", false)]
    public void OnlyPathsInsideTheFolderAreSafe(string path, bool safe)
    {
        Assert.Equal(safe, HfRepositoryPath.IsSafe(path));
        using var root = new TempDirectory();
        if (safe)
        {
            Assert.StartsWith(root.Path, HfRepositoryPath.Combine(root.Path, path));
        }
        else
        {
            Assert.Throws<HfUnsafePathException>(() => HfRepositoryPath.Combine(root.Path, path));
        }
    }
}
