namespace GgufPs.Hub;

/// <summary>Which redirects the transport follows itself (it never lets .NET follow them, which would drop the token).</summary>
internal enum HubRedirectPolicy
{
    /// <summary>Relative redirects only (a renamed repository), as huggingface_hub does for metadata: an absolute
    /// redirect (to the CDN) is returned to the caller, who reads its Location.</summary>
    RelativeOnly,

    /// <summary>Every redirect, for downloads.</summary>
    All,
}
