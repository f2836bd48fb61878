using System.Security.Cryptography;

namespace GgufPs.Hub;

/// <summary>
/// Save-HfModel's work, as huggingface_hub's snapshot_download and hf_hub_download do it: list the revision (its
/// commit and files, sizes and hashes from the tree API), select files by name or glob, refuse unsafe paths, then
/// download up to MaxConcurrentFiles files at once into the shared cache or a local folder, skipping files already
/// there. Offline (HF_HUB_OFFLINE, or the Hub unreachable) it answers from what is on disk or fails clearly.
/// </summary>
public sealed class HfModelDownloader(HfHubClient client, HfTransferOptions? options = null)
{
    private readonly HfTransferOptions _options = options ?? new HfTransferOptions();

    /// <summary>Which files, how large, and which are already present: everything -WhatIf shows, nothing written.</summary>
    public async Task<HfDownloadPlan> PlanAsync(HfDownloadRequest request, CancellationToken cancellationToken = default)
    {
        string repository = HfRepositoryId.Validate(request.Repository);
        var include = request.Include.Select(p => new HfGlobPattern(p)).ToList();
        var exclude = request.Exclude.Select(p => new HfGlobPattern(p)).ToList();
        if (client.Settings.Offline)
        {
            return PlanFromDisk(request, repository, include, exclude, null);
        }
        HfRepositoryInfo info;
        try
        {
            info = await client.GetRepositoryInfoAsync(repository, request.Revision, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUnreachable(ex, cancellationToken))
        {
            return PlanFromDisk(request, repository, include, exclude, ex);
        }

        var tree = new Dictionary<string, HfTreeEntry>(StringComparer.Ordinal);
        await foreach (var entry in client.ListTreeAsync(repository, info.CommitHash, "", recursive: true, cancellationToken).ConfigureAwait(false))
        {
            tree[entry.Path] = entry;
        }
        var paths = request.Files ?? info.Siblings.Select(s => s.Path).Where(p => HfGlobPattern.Selects(p, include, exclude)).ToList();
        // Every path is checked before anything is written: one hostile name refuses the whole download.
        foreach (string path in paths)
        {
            if (!HfRepositoryPath.IsSafe(path))
            {
                throw new HfUnsafePathException(path);
            }
        }

        var cache = request.OutputPath is null ? new HfCacheLayout(client.Settings.CacheDirectory, repository) : null;
        var local = request.OutputPath is null ? null : new HfLocalDirectoryLayout(request.OutputPath);
        var files = paths.Distinct(StringComparer.Ordinal).Select(path =>
        {
            tree.TryGetValue(path, out var entry);
            string? etag = entry is null ? null : entry.LfsSha256 ?? entry.Oid;
            bool present = !request.Force && (cache is not null
                ? File.Exists(cache.PointerPath(info.CommitHash, path))
                : etag is not null && local!.ReadMetadata(path)?.ETag == etag);
            string localPath = cache is not null ? cache.PointerPath(info.CommitHash, path) : local!.FilePath(path);
            return new HfPlannedFile(path, entry?.Size ?? 0, entry?.LfsSha256 is not null, etag, localPath, present);
        }).ToList();
        string folder = cache is not null ? cache.SnapshotFolder(info.CommitHash) : local!.Root;
        return new HfDownloadPlan(request, repository, info.CommitHash, folder, files, Offline: false);
    }

    /// <summary>The parent and per-file counters for a plan, to pass to <see cref="DownloadAsync"/> and sample.</summary>
    public static HfDownloadProgress CreateProgress(HfDownloadPlan plan) =>
        new(plan.Repository, plan.Files.Select(f => new HfFileProgress(f.Path, f.Size) { State = f.IsPresent ? HfFileState.Skipped : HfFileState.Waiting }));

    /// <summary>Downloads what the plan lists, MaxConcurrentFiles at once; each file's outcome is returned, failures included.</summary>
    public async Task<IReadOnlyList<HfDownloadedFile>> DownloadAsync(HfDownloadPlan plan, HfDownloadProgress? progress = null, CancellationToken cancellationToken = default)
    {
        if (plan.Offline)
        {
            return plan.Files.Select(f => new HfDownloadedFile(f.Path, f.LocalPath, null)).ToList();
        }
        progress ??= CreateProgress(plan);
        var request = plan.Request;
        var cache = request.OutputPath is null ? new HfCacheLayout(client.Settings.CacheDirectory, plan.Repository) : null;
        var local = request.OutputPath is null ? null : new HfLocalDirectoryLayout(request.OutputPath);
        cache?.WriteRef(request.Revision, plan.CommitHash);
        local?.EnsureGitIgnore();

        var blobs = new HfBlobDownloader(client.Transport, _options);
        var results = new HfDownloadedFile[plan.Files.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, plan.Files.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.MaxConcurrentFiles), CancellationToken = cancellationToken },
            async (index, token) =>
            {
                var file = plan.Files[index];
                var fileProgress = progress[file.Path];
                try
                {
                    string localPath = cache is not null
                        ? await ToCacheAsync(plan, file, cache, blobs, fileProgress, token).ConfigureAwait(false)
                        : await ToLocalDirectoryAsync(plan, file, local!, blobs, fileProgress, token).ConfigureAwait(false);
                    results[index] = new HfDownloadedFile(file.Path, localPath, null);
                    if (fileProgress.State != HfFileState.Skipped)
                    {
                        fileProgress.Set(fileProgress.Size);
                        fileProgress.State = HfFileState.Done;
                    }
                }
                catch (Exception ex) when (!token.IsCancellationRequested)
                {
                    results[index] = new HfDownloadedFile(file.Path, file.LocalPath, ex);
                    fileProgress.State = HfFileState.Failed;
                }
            }).ConfigureAwait(false);
        return results;
    }

    /// <summary>hf_hub_download into the cache: the blob named by its ETag, the snapshot entry linked to it.</summary>
    private async Task<string> ToCacheAsync(HfDownloadPlan plan, HfPlannedFile file, HfCacheLayout cache, HfBlobDownloader blobs,
        HfFileProgress progress, CancellationToken cancellationToken)
    {
        bool force = plan.Request.Force;
        string pointer = cache.PointerPath(plan.CommitHash, file.Path);
        if (!force && File.Exists(pointer))
        {
            progress.State = HfFileState.Skipped;
            return pointer;
        }
        HfFileMetadata metadata;
        try
        {
            metadata = await client.GetFileMetadataAsync(plan.Repository, plan.CommitHash, file.Path, cancellationToken).ConfigureAwait(false);
        }
        catch (HfEntryNotFoundException)
        {
            cache.MarkMissing(plan.CommitHash, file.Path);
            throw;
        }
        progress.Size = metadata.Size;
        string blob = cache.BlobPath(metadata.ETag);
        using var fileLock = await HfFileLock.AcquireAsync(cache.LockPath(metadata.ETag), cancellationToken).ConfigureAwait(false);
        if (!force && File.Exists(blob))
        {
            HfCacheLayout.LinkPointer(blob, pointer, newBlob: false);
            progress.State = HfFileState.Skipped;
            return pointer;
        }
        string incomplete = cache.IncompleteBlobPath(metadata.ETag);
        if (force)
        {
            File.Delete(incomplete);
        }
        await blobs.DownloadAsync(file.Path, metadata.Location, metadata.Size, metadata.IsSha256 ? metadata.ETag : null, incomplete, blob,
            progress, cancellationToken).ConfigureAwait(false);
        if (force || !File.Exists(pointer))
        {
            HfCacheLayout.LinkPointer(blob, pointer, newBlob: true);
        }
        return pointer;
    }

    /// <summary>hf_hub_download with local_dir: the file at its path and its .metadata, skipped when the ETag matches.</summary>
    private async Task<string> ToLocalDirectoryAsync(HfDownloadPlan plan, HfPlannedFile file, HfLocalDirectoryLayout local, HfBlobDownloader blobs,
        HfFileProgress progress, CancellationToken cancellationToken)
    {
        bool force = plan.Request.Force;
        var metadata = await client.GetFileMetadataAsync(plan.Repository, plan.CommitHash, file.Path, cancellationToken).ConfigureAwait(false);
        progress.Size = metadata.Size;
        string target = local.FilePath(file.Path);
        if (!force && File.Exists(target))
        {
            var saved = local.ReadMetadata(file.Path);
            // A file without metadata is taken when it is an LFS file whose SHA-256 matches, as huggingface_hub does.
            if (saved?.ETag == metadata.ETag || (saved is null && metadata.IsSha256 && await Sha256Async(target, cancellationToken).ConfigureAwait(false) == metadata.ETag))
            {
                local.WriteMetadata(file.Path, metadata.CommitHash, metadata.ETag);
                progress.State = HfFileState.Skipped;
                return target;
            }
        }
        using var fileLock = await HfFileLock.AcquireAsync(local.LockPath(file.Path), cancellationToken).ConfigureAwait(false);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        string cached = new HfCacheLayout(client.Settings.CacheDirectory, plan.Repository).PointerPath(metadata.CommitHash, file.Path);
        if (!force && File.Exists(cached))
        {
            // Already in the shared cache: copied rather than downloaded again (try_to_load_from_cache).
            File.Copy(cached, target, overwrite: true);
        }
        else
        {
            File.Delete(target);
            string incomplete = local.IncompletePath(file.Path, metadata.ETag);
            if (force)
            {
                File.Delete(incomplete);
            }
            await blobs.DownloadAsync(file.Path, metadata.Location, metadata.Size, metadata.IsSha256 ? metadata.ETag : null, incomplete, target,
                progress, cancellationToken).ConfigureAwait(false);
        }
        local.WriteMetadata(file.Path, metadata.CommitHash, metadata.ETag);
        return target;
    }

    /// <summary>The plan from disk alone: the cache's refs and snapshot, or the local folder's files; else a clear failure.</summary>
    private HfDownloadPlan PlanFromDisk(HfDownloadRequest request, string repository, IReadOnlyList<HfGlobPattern> include,
        IReadOnlyList<HfGlobPattern> exclude, Exception? cause)
    {
        string why = cause is null
            ? "Offline mode is on (HF_HUB_OFFLINE)"
            : $"The Hub at {client.Settings.Endpoint.AbsoluteUri.TrimEnd('/')} could not be reached ({cause.Message})";
        string folder;
        string commit;
        Func<string, string> locate;
        if (request.OutputPath is null)
        {
            var cache = new HfCacheLayout(client.Settings.CacheDirectory, repository);
            commit = cache.ResolveRevision(request.Revision) ?? "";
            folder = commit.Length == 0 ? "" : cache.SnapshotFolder(commit);
            if (folder.Length == 0 || !Directory.Exists(folder))
            {
                throw new HfOfflineCacheMissException($"{why}, and '{repository}' at revision '{request.Revision}' is not in the cache ({cache.CacheDirectory}). " +
                    "Download it once while online, or unset HF_HUB_OFFLINE.", cause);
            }
            locate = path => cache.PointerPath(commit, path);
        }
        else
        {
            var local = new HfLocalDirectoryLayout(request.OutputPath);
            folder = local.Root;
            commit = request.Revision;
            if (!Directory.Exists(folder))
            {
                throw new HfOfflineCacheMissException($"{why}, and '{folder}' does not exist. Download it once while online, or unset HF_HUB_OFFLINE.", cause);
            }
            locate = local.FilePath;
        }

        var paths = request.Files ?? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(p => !p.StartsWith(".cache/", StringComparison.Ordinal))
            .Where(p => HfGlobPattern.Selects(p, include, exclude))
            .Order(StringComparer.Ordinal)
            .ToList();
        var missing = paths.Where(p => !HfRepositoryPath.IsSafe(p) || !File.Exists(locate(p))).ToList();
        if (missing.Count > 0)
        {
            throw new HfOfflineCacheMissException($"{why}, and {string.Join(", ", missing.Select(m => "'" + m + "'"))} of '{repository}' " +
                $"{(missing.Count == 1 ? "is" : "are")} not on disk. Download {(missing.Count == 1 ? "it" : "them")} once while online, or unset HF_HUB_OFFLINE.", cause);
        }
        var files = paths.Select(p => new HfPlannedFile(p, new FileInfo(locate(p)).Length, false, null, locate(p), IsPresent: true)).ToList();
        return new HfDownloadPlan(request, repository, commit, folder, files, Offline: true);
    }

    private static async Task<string> Sha256Async(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>No connection or no answer from the Hub (huggingface_hub then falls back to the cache).</summary>
    private static bool IsUnreachable(Exception ex, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested
        && (ex is HttpRequestException { StatusCode: null } || (ex is HfHubException { StatusCode: null, ErrorCode: null } && ex is not HfUnsafePathException and not HfIntegrityException));
}
