namespace GgufPs.Hub;

/// <summary>The revision API's answer (/api/models/{repo}/revision/{rev}): the commit it resolves to and its files.</summary>
public sealed record HfRepositoryInfo(string Id, string CommitHash, IReadOnlyList<HfRepositorySibling> Siblings);
