namespace GgufPs.HubStandIn;

/// <summary>One request as the stand-in saw it, for tests to assert on (which host, which headers, what answer).</summary>
public sealed record StandInRequest(
    bool ToCdn,
    string Method,
    string Target,
    string? Authorization,
    string? Range,
    int Status);
