namespace GgufPs.HubStandIn;

/// <summary>Which requests a fault applies to.</summary>
public enum StandInFaultTarget
{
    /// <summary>GETs of a file's bytes: the hub's resolve for regular files, the CDN for LFS files.</summary>
    Content,

    /// <summary>HEADs of resolve URLs (the file metadata).</summary>
    Metadata,

    /// <summary>The /api listings (revision, tree, search).</summary>
    Api,
}
