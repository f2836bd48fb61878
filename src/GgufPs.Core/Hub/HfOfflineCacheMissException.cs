namespace GgufPs.Hub;

/// <summary>Offline (HF_HUB_OFFLINE) or the Hub unreachable, and the files are not on disk.</summary>
public sealed class HfOfflineCacheMissException(string message, Exception? inner = null) : HfHubException(message, null, null, inner);
