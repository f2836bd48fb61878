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
}
