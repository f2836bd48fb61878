namespace GgufPs.HubStandIn;

/// <summary>What a fault does to a matching request.</summary>
public enum StandInFaultKind
{
    /// <summary>Send <see cref="StandInFault.AfterBytes"/> bytes of the body, then drop the connection.</summary>
    DropConnection,

    /// <summary>Answer 200 with the whole file, as a server that does not honour Range.</summary>
    IgnoreRange,

    /// <summary>Answer 429 with Retry-After.</summary>
    TooManyRequests,

    /// <summary>Answer 503 with Retry-After.</summary>
    ServiceUnavailable,

    /// <summary>Serve the file with one byte flipped, under the headers of the real file.</summary>
    CorruptBytes,
}
