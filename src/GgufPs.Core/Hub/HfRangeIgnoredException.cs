namespace GgufPs.Hub;

/// <summary>The server answered a ranged request with the whole file (200): the download starts over in one stream.</summary>
internal sealed class HfRangeIgnoredException() : Exception("The server ignored the Range header.");
