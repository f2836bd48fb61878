namespace GgufPs.Hub;

/// <summary>The orders /api/models sorts by (always descending here, the way the Hub's site lists them).</summary>
public enum HfModelSort
{
    Downloads,
    Likes,
    Modified,
}
