using GgufPs.Hub;

namespace GgufPs.Commands;

/// <summary>The Hub settings of a Hub cmdlet: the environment (HF_ENDPOINT, HF_TOKEN, HF_HOME, ...) with -Endpoint and -Token over it.</summary>
internal static class HubCommandSettings
{
    public static HubSettings Resolve(string? endpoint, string? token)
    {
        var settings = HubSettings.FromEnvironment();
        if (!string.IsNullOrWhiteSpace(endpoint))
        {
            settings = settings with { Endpoint = HubSettings.ParseEndpoint(endpoint) };
        }
        if (HubSettings.CleanToken(token) is { } explicitToken)
        {
            settings = settings with { Token = explicitToken };
        }
        return settings;
    }

    public static string FormatSize(long bytes) => bytes switch
    {
        >= 1L << 30 => FormattableString.Invariant($"{bytes / (double)(1L << 30):F2} GiB"),
        >= 1L << 20 => FormattableString.Invariant($"{bytes / (double)(1L << 20):F1} MiB"),
        >= 1L << 10 => FormattableString.Invariant($"{bytes / 1024.0:F1} KiB"),
        _ => FormattableString.Invariant($"{bytes} B"),
    };
}
