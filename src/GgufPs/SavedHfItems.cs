using System.Management.Automation;
using GgufPs.Hub;

namespace GgufPs.Commands;

/// <summary>
/// What Save-HfModel emits for a download: with -File each file that came, else the snapshot or output folder once
/// every file came; each with Repository and CommitHash note properties, ready for Convert-Model and Get-GgufInfo.
/// </summary>
internal static class SavedHfItems
{
    public static IEnumerable<PSObject> Of(HfDownloadRequest request, HfDownloadPlan plan, IReadOnlyList<HfDownloadedFile> results)
    {
        if (request.Files is not null)
        {
            return results.Where(r => r.Error is null).Select(file => Annotate(new FileInfo(file.LocalPath), plan)).ToList();
        }
        return results.All(r => r.Error is null) ? [Annotate(new DirectoryInfo(plan.Folder), plan)] : [];
    }

    private static PSObject Annotate(FileSystemInfo item, HfDownloadPlan plan)
    {
        var annotated = PSObject.AsPSObject(item);
        annotated.Properties.Add(new PSNoteProperty("Repository", plan.Repository));
        annotated.Properties.Add(new PSNoteProperty("CommitHash", plan.CommitHash));
        return annotated;
    }
}
