namespace GgufPs.Hub;

/// <summary>
/// The files of a download with their sizes and whether they are already present (what -WhatIf shows), the commit
/// the revision resolved to, and the folder the files land in (the snapshot folder or the local folder).
/// </summary>
public sealed record HfDownloadPlan(HfDownloadRequest Request, string Repository, string CommitHash, string Folder,
    IReadOnlyList<HfPlannedFile> Files, bool Offline)
{
    public long BytesToDownload => Files.Where(f => !f.IsPresent).Sum(f => f.Size);
}
