using GgufPs.Workflow;
using System.Globalization;

namespace GgufPs.Hub;

/// <summary>Save-HfModel's confirmation and progress texts, with sizes in the module's one unit system (ByteSize).</summary>
public static class HfDownloadText
{
    public static string Size(long bytes) => ByteSize.Format(bytes);

    public static string Activity(string repository) => $"Save-HfModel {repository}";

    public static string Listing(string revision) => $"Listing revision {revision}";

    /// <summary>The -WhatIf target of one file: where it comes from, its size and where it goes.</summary>
    public static string FileTarget(HfDownloadPlan plan, HfPlannedFile file) => $"{plan.Repository}/{file.Path} ({Size(file.Size)}) -> {file.LocalPath}";

    public static string FileAction(HfPlannedFile file) => file.IsPresent ? "Keep (already present)" : "Download";

    public static string Action(HfDownloadPlan plan, string revision)
    {
        int missing = plan.Files.Count(f => !f.IsPresent);
        return missing == 0
            ? $"Use the {plan.Files.Count} file(s) already present of {plan.Repository}@{revision}"
            : $"Download {missing} of {plan.Files.Count} file(s) of {plan.Repository}@{revision} ({Size(plan.BytesToDownload)})";
    }

    public static string Offline(HfDownloadPlan plan) => $"The Hub was not asked (offline); using what is on disk at {plan.Folder}.";

    public const string Stopped = "Stopped. Partial files stay as .incomplete files and resume on the next run.";

    public static string OverallStatus(HfDownloadProgress progress, HfTransferSample overall)
    {
        int done = progress.Files.Count(f => f.State is HfFileState.Done or HfFileState.Skipped);
        return $"{done} of {progress.Files.Count} files, {Size(overall.Bytes)} of {Size(overall.Total)}{Rate(overall)}";
    }

    public static string FileStatus(HfTransferSample file) =>
        file.State == HfFileState.Verifying ? "checking SHA-256" : $"{Size(file.Bytes)} of {Size(file.Total)}{Rate(file)}";

    private static string Rate(HfTransferSample sample) => sample.BytesPerSecond >= 1 ? $" at {Size((long)sample.BytesPerSecond)}/s" : "";
}
