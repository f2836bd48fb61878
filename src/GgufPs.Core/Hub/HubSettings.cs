using System.Globalization;

namespace GgufPs.Hub;

/// <summary>
/// Where the Hub is and how to talk to it, read from the environment as huggingface_hub's constants.py reads it:
/// HF_ENDPOINT (default https://huggingface.co, trailing '/' removed), HF_TOKEN (else the token file HF_TOKEN_PATH,
/// default $HF_HOME/token), HF_HUB_OFFLINE (1/ON/YES/TRUE), HF_HUB_DOWNLOAD_TIMEOUT and HF_HUB_ETAG_TIMEOUT (seconds,
/// default 10), HF_HUB_CACHE (else HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub) with HF_HOME defaulting to
/// $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface.
/// </summary>
public sealed record HubSettings
{
    public const string DefaultEndpoint = "https://huggingface.co";

    private static readonly string[] TrueValues = ["1", "ON", "YES", "TRUE"];

    public Uri Endpoint { get; init; } = new(DefaultEndpoint);

    /// <summary>The bearer token, or null for anonymous requests. Never logged.</summary>
    public string? Token { get; init; }

    public bool Offline { get; init; }

    /// <summary>How long to wait for the server to send data while downloading.</summary>
    public TimeSpan DownloadTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long to wait for metadata and listing answers.</summary>
    public TimeSpan MetadataTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public string HfHome { get; init; } = DefaultHfHome(_ => null);

    /// <summary>The shared cache folder (holding models--owner--name folders).</summary>
    public string CacheDirectory { get; init; } = Path.Combine(DefaultHfHome(_ => null), "hub");

    public static HubSettings FromEnvironment() => FromEnvironment(Environment.GetEnvironmentVariable);

    public static HubSettings FromEnvironment(Func<string, string?> environment)
    {
        string home = DefaultHfHome(environment);
        string cache = ExpandUser(NonEmpty(environment("HF_HUB_CACHE")) ?? NonEmpty(environment("HUGGINGFACE_HUB_CACHE")) ?? Path.Combine(home, "hub"));
        string tokenPath = ExpandUser(NonEmpty(environment("HF_TOKEN_PATH")) ?? Path.Combine(home, "token"));
        string? token = CleanToken(environment("HF_TOKEN")) ?? CleanToken(environment("HUGGING_FACE_HUB_TOKEN")) ?? ReadTokenFile(tokenPath);
        string? offline = NonEmpty(environment("HF_HUB_OFFLINE")) ?? NonEmpty(environment("TRANSFORMERS_OFFLINE"));
        return new HubSettings
        {
            Endpoint = ParseEndpoint(NonEmpty(environment("HF_ENDPOINT")) ?? DefaultEndpoint),
            Token = token,
            Offline = offline is not null && TrueValues.Contains(offline.Trim().ToUpperInvariant()),
            DownloadTimeout = Seconds(environment("HF_HUB_DOWNLOAD_TIMEOUT")),
            MetadataTimeout = Seconds(environment("HF_HUB_ETAG_TIMEOUT")),
            HfHome = home,
            CacheDirectory = cache,
        };
    }

    public static Uri ParseEndpoint(string endpoint)
    {
        if (!Uri.TryCreate(endpoint.Trim().TrimEnd('/'), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"'{endpoint}' is not an http(s) address of a Hub.", nameof(endpoint));
        }
        return uri;
    }

    /// <summary>As huggingface_hub's _clean_token: surrounding whitespace and line breaks removed, empty means none.</summary>
    public static string? CleanToken(string? token)
    {
        string? cleaned = token?.Replace("\r", "").Replace("\n", "").Trim();
        return string.IsNullOrEmpty(cleaned) ? null : cleaned;
    }

    private static string? ReadTokenFile(string path)
    {
        try
        {
            return File.Exists(path) ? CleanToken(File.ReadAllText(path)) : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string DefaultHfHome(Func<string, string?> environment) =>
        ExpandUser(NonEmpty(environment("HF_HOME")) ?? Path.Combine(NonEmpty(environment("XDG_CACHE_HOME")) ?? Path.Combine("~", ".cache"), "huggingface"));

    private static TimeSpan Seconds(string? value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : TimeSpan.FromSeconds(10);

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static string ExpandUser(string path) =>
        path == "~" || path.StartsWith("~/", StringComparison.Ordinal) || path.StartsWith("~" + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.Length > 2 ? path[2..] : "")
            : path;
}
