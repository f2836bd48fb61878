using System.Security.Cryptography;
using System.Text;

namespace GgufPs.HubStandIn;

/// <summary>
/// A model repository of the stand-in: its revisions (branch or tag names to commits), the listing fields that
/// /api/models returns, and the per-repository switches: private (a token is required), gated, renamed.
/// </summary>
public sealed class StandInRepository
{
    private readonly Dictionary<string, StandInRevision> _revisions = new(StringComparer.Ordinal);

    public StandInRepository(string id)
    {
        if (id.Split('/').Length != 2)
        {
            throw new ArgumentException($"A repository id is 'owner/name', not '{id}'.", nameof(id));
        }
        Id = id;
    }

    public string Id { get; }

    public string Author => Id[..Id.IndexOf('/')];

    /// <summary>When set, the repository is private: without this bearer token the Hub answers RepoNotFound.</summary>
    public string? RequiredToken { get; set; }

    /// <summary>Gated: downloads need a token in <see cref="GrantedTokens"/>; the listing stays public.</summary>
    public bool Gated { get; set; }

    public HashSet<string> GrantedTokens { get; } = new(StringComparer.Ordinal);

    /// <summary>Former ids of a renamed repository: requests under them get a relative 307 to the new id.</summary>
    public List<string> FormerIds { get; } = [];

    public long Downloads { get; set; }

    public long Likes { get; set; }

    public DateTimeOffset LastModified { get; set; } = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public List<string> Tags { get; } = [];

    public StandInGgufSummary? Gguf { get; set; }

    public IReadOnlyDictionary<string, StandInRevision> Revisions => _revisions;

    /// <summary>Adds a commit under a branch or tag name; the commit id is derived from the repository and name.</summary>
    public StandInRevision AddRevision(string name, IEnumerable<StandInFile> files, string? commitSha = null)
    {
        var revision = new StandInRevision(commitSha ?? DeriveCommit(Id, name), files);
        _revisions[name] = revision;
        return revision;
    }

    /// <summary>A revision by branch or tag name, or by full commit id.</summary>
    public StandInRevision? FindRevision(string revision) =>
        _revisions.TryGetValue(revision, out var byName) ? byName : _revisions.Values.FirstOrDefault(r => r.CommitSha == revision);

    /// <summary>
    /// A repository with one revision, "main", holding every file under <paramref name="folder"/>. Files with an
    /// extension in <paramref name="lfsExtensions"/> (by default the weight formats: .safetensors, .gguf, .bin) or
    /// larger than 10 MB are LFS files, as the Hub's .gitattributes makes them.
    /// </summary>
    public static StandInRepository FromFolder(string id, string folder, IEnumerable<string>? lfsExtensions = null)
    {
        var lfs = new HashSet<string>(lfsExtensions ?? [".safetensors", ".gguf", ".bin", ".pt", ".pth", ".model"], StringComparer.OrdinalIgnoreCase);
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => (Full: f, Relative: Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/')))
            .OrderBy(f => f.Relative, StringComparer.Ordinal)
            .Select(f => StandInFile.FromDisk(f.Relative, f.Full, lfs.Contains(Path.GetExtension(f.Full)) || new FileInfo(f.Full).Length > 10_000_000));
        var repository = new StandInRepository(id);
        repository.AddRevision("main", files);
        return repository;
    }

    private static string DeriveCommit(string id, string name) =>
        Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(id + "@" + name)));
}
