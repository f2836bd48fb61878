namespace GgufPs.HubStandIn;

/// <summary>A commit of a repository: its 40-hex id and its files in listing order.</summary>
public sealed class StandInRevision
{
    public StandInRevision(string commitSha, IEnumerable<StandInFile> files)
    {
        CommitSha = commitSha;
        Files = files.ToList();
    }

    public string CommitSha { get; }

    public IReadOnlyList<StandInFile> Files { get; }

    public StandInFile? Find(string path) => Files.FirstOrDefault(f => f.Path == path);
}
