namespace GgufPs.Hub;

/// <summary>
/// The downloads Save-HfModel gathers from its pipeline: requests for named files of the same repository, revision
/// and folder join into one, so the files of a repository download together.
/// </summary>
public sealed class HfDownloadBatch
{
    private readonly List<HfDownloadRequest> _requests = [];

    public IReadOnlyList<HfDownloadRequest> Requests => _requests;

    public void Add(HfDownloadRequest request)
    {
        int index = _requests.FindIndex(r => string.Equals(r.Repository, request.Repository, StringComparison.OrdinalIgnoreCase)
            && r.Revision == request.Revision && r.OutputPath == request.OutputPath && r.Files is not null && request.Files is not null);
        if (index < 0)
        {
            _requests.Add(request);
            return;
        }
        var existing = _requests[index];
        _requests[index] = existing with { Files = [.. existing.Files!, .. request.Files!.Where(f => !existing.Files!.Contains(f))] };
    }
}
