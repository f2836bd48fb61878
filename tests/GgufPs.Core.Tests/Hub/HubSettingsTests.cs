using GgufPs.Hub;

namespace GgufPs.Tests.Hub;

/// <summary>The environment as huggingface_hub's constants.py and get_token read it.</summary>
public class HubSettingsTests
{
    private static HubSettings Read(Dictionary<string, string> environment) => HubSettings.FromEnvironment(name => environment.GetValueOrDefault(name));

    [Fact]
    public void DefaultsAreHuggingFaceCoAndTheHomeCache()
    {
        var settings = Read(new() { ["HOME"] = "/unused" });
        Assert.Equal(new Uri("https://huggingface.co"), settings.Endpoint);
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        Assert.Equal(Path.Combine(home, ".cache", "huggingface"), settings.HfHome);
        Assert.Equal(Path.Combine(home, ".cache", "huggingface", "hub"), settings.CacheDirectory);
        Assert.False(settings.Offline);
        Assert.Equal(TimeSpan.FromSeconds(10), settings.DownloadTimeout);
    }

    [Fact]
    public void EndpointLosesItsTrailingSlashAndTimeoutsAreSeconds()
    {
        var settings = Read(new() { ["HF_ENDPOINT"] = "http://mirror.example:8080/hf/", ["HF_HUB_DOWNLOAD_TIMEOUT"] = "42", ["HF_HUB_ETAG_TIMEOUT"] = "2.5" });
        Assert.Equal("http://mirror.example:8080/hf", settings.Endpoint.AbsoluteUri.TrimEnd('/'));
        Assert.Equal(TimeSpan.FromSeconds(42), settings.DownloadTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2.5), settings.MetadataTimeout);
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("ON", true)]
    [InlineData("yes", true)]
    [InlineData("True", true)]
    [InlineData("0", false)]
    [InlineData("no", false)]
    public void OfflineTakesPythonsTrueValues(string value, bool offline) =>
        Assert.Equal(offline, Read(new() { ["HF_HUB_OFFLINE"] = value }).Offline);

    [Fact]
    public void CacheComesFromHfHubCacheThenHfHomeThenXdg()
    {
        Assert.Equal("/c/hub-cache", Read(new() { ["HF_HUB_CACHE"] = "/c/hub-cache", ["HF_HOME"] = "/h" }).CacheDirectory);
        Assert.Equal(Path.Combine("/h", "hub"), Read(new() { ["HF_HOME"] = "/h", ["XDG_CACHE_HOME"] = "/x" }).CacheDirectory);
        Assert.Equal(Path.Combine("/x", "huggingface", "hub"), Read(new() { ["XDG_CACHE_HOME"] = "/x" }).CacheDirectory);
    }

    [Fact]
    public void TokenComesFromHfTokenElseTheTokenFileUnderHfHome()
    {
        using var home = new TempDirectory();
        File.WriteAllText(home.File("token"), "  hf_from_file\n");
        Assert.Equal("hf_from_file", Read(new() { ["HF_HOME"] = home.Path }).Token);
        Assert.Equal("hf_from_env", Read(new() { ["HF_HOME"] = home.Path, ["HF_TOKEN"] = "hf_from_env\r\n" }).Token);
        Assert.Null(Read(new() { ["HF_HOME"] = Path.Combine(home.Path, "none") }).Token);
        Assert.Null(Read(new() { ["HF_HOME"] = Path.Combine(home.Path, "none"), ["HF_TOKEN"] = "  " }).Token);
    }

    [Fact]
    public void ABadEndpointIsRefused() =>
        Assert.Throws<ArgumentException>(() => Read(new() { ["HF_ENDPOINT"] = "ftp://nowhere" }));
}
