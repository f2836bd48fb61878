using System.Text;
using System.Text.RegularExpressions;
using GgufPs.Hub;
using GgufPs.HubStandIn;

namespace GgufPs.Tests.Hub;

/// <summary>
/// The two layouts byte for byte as huggingface_hub writes them. The expected bytes come from its code
/// (huggingface_hub 1.x, src/huggingface_hub):
/// <list type="bullet">
/// <item>file_download.py, repo_folder_name: the folder is "models--" + repo_id with "/" replaced by "--".</item>
/// <item>_hf_hub_download_to_cache_dir: blob_path = storage/blobs/{etag}, where etag is get_hf_file_metadata's
/// _normalize_etag(X-Linked-Etag or ETag): the LFS SHA-256 for LFS files, the git blob id for the others; the
/// download goes to blob_path + ".incomplete" and _chmod_and_move renames it; the lock is
/// {cache}/.locks/{repo folder}/{etag}.lock; pointer_path = storage/snapshots/{commit}/{path}.</item>
/// <item>_create_symlink: os.symlink(os.path.relpath(blob, dirname(pointer)), pointer), i.e. "../../blobs/{etag}"
/// for a top-level file and one "../" more per folder level.</item>
/// <item>_snapshot_download.py: refs/{revision} is written with f.write(commit_hash): 40 hex digits, no newline,
/// only when the revision is not the commit itself.</item>
/// <item>_local_folder.py: download/{path}.metadata holds f"{commit_hash}\n{etag}\n{time.time()}\n"; the lock is
/// metadata_path.with_suffix(".lock") = download/{path}.lock; the partial file metadata_path.with_suffix(
/// f".{etag}.incomplete"); _huggingface_dir writes .cache/huggingface/.gitignore with write_text("*").</item>
/// </list>
/// The stand-in derives blob ids as git does (SHA-1 of "blob {size}\0" + content) and LFS ids as SHA-256, the
/// values the Hub sends, checked in these tests against the content itself.
/// </summary>
public class HfCacheLayoutTests(StandInHub hub) : IClassFixture<StandInHub>
{
    [Fact]
    public async Task TheCacheIsHuggingFaceHubsBlobsSnapshotsRefsAndLocks()
    {
        var repository = hub.AddModel();
        var main = repository.Revisions["main"];
        using var home = new TempDirectory();
        using var client = hub.Client(home.Path);
        var downloader = new HfModelDownloader(client, StandInHub.FastTransfers);
        var plan = await downloader.PlanAsync(new HfDownloadRequest { Repository = repository.Id });
        var results = await downloader.DownloadAsync(plan);
        Assert.All(results, r => Assert.Null(r.Error));

        string cache = Path.Combine(home.Path, "hub");
        string storage = Path.Combine(cache, "models--" + repository.Id.Replace("/", "--"));
        Assert.Equal(Path.Combine(storage, "snapshots", main.CommitSha), plan.Folder);
        Assert.Equal(Encoding.ASCII.GetBytes(main.CommitSha), File.ReadAllBytes(Path.Combine(storage, "refs", "main")));

        foreach (var file in main.Files)
        {
            byte[] content = ReadAll(file);
            string etag = file.IsLfs ? Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content)) : GitBlobId(content);
            string blob = Path.Combine(storage, "blobs", etag);
            Assert.Equal(content, File.ReadAllBytes(blob));
            string pointer = Path.Combine(storage, "snapshots", main.CommitSha, file.Path.Replace('/', Path.DirectorySeparatorChar));
            if (OperatingSystem.IsWindows() && new FileInfo(pointer).LinkTarget is null)
            {
                Assert.Equal(content, File.ReadAllBytes(pointer));
            }
            else
            {
                int depth = file.Path.Count(c => c == '/');
                Assert.Equal(string.Concat(Enumerable.Repeat("../", depth + 2)) + "blobs/" + etag, new FileInfo(pointer).LinkTarget!.Replace('\\', '/'));
                Assert.Equal(content, File.ReadAllBytes(pointer));
            }
            Assert.True(File.Exists(Path.Combine(cache, ".locks", "models--" + repository.Id.Replace("/", "--"), etag + ".lock")));
            Assert.Equal(pointer, results.Single(r => r.Path == file.Path).LocalPath);
        }
        Assert.Empty(Directory.EnumerateFiles(storage, "*.incomplete", SearchOption.AllDirectories));
        Assert.Equal(["blobs", "refs", "snapshots"], Directory.EnumerateDirectories(storage).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task ASecondRunFindsEverythingInTheCache()
    {
        var repository = hub.AddModel();
        using var home = new TempDirectory();
        using var client = hub.Client(home.Path);
        var downloader = new HfModelDownloader(client, StandInHub.FastTransfers);
        await downloader.DownloadAsync(await downloader.PlanAsync(new HfDownloadRequest { Repository = repository.Id }));
        int before = hub.Server.Requests.Count(r => r.ToCdn || r.Target.Contains("/resolve/"));

        var again = await downloader.PlanAsync(new HfDownloadRequest { Repository = repository.Id });
        Assert.All(again.Files, f => Assert.True(f.IsPresent));
        Assert.Equal(0, again.BytesToDownload);
        var results = await downloader.DownloadAsync(again);
        Assert.All(results, r => Assert.Null(r.Error));
        Assert.Equal(before, hub.Server.Requests.Count(r => r.ToCdn || r.Target.Contains("/resolve/")));
    }

    [Fact]
    public async Task TheLocalFolderHasTheFilesAndHuggingFaceHubsMetadata()
    {
        var repository = hub.AddModel();
        var main = repository.Revisions["main"];
        using var home = new TempDirectory();
        string output = Path.Combine(home.Path, "out");
        using var client = hub.Client(home.Path);
        var downloader = new HfModelDownloader(client, StandInHub.FastTransfers);
        double before = (DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds;
        var plan = await downloader.PlanAsync(new HfDownloadRequest { Repository = repository.Id, OutputPath = output });
        var results = await downloader.DownloadAsync(plan);
        Assert.All(results, r => Assert.Null(r.Error));

        string huggingFace = Path.Combine(output, ".cache", "huggingface");
        Assert.Equal("*"u8.ToArray(), File.ReadAllBytes(Path.Combine(huggingFace, ".gitignore")));
        foreach (var file in main.Files)
        {
            byte[] content = ReadAll(file);
            string local = Path.Combine(output, file.Path.Replace('/', Path.DirectorySeparatorChar));
            Assert.Equal(content, File.ReadAllBytes(local));
            string etag = file.IsLfs ? file.Sha256 : GitBlobId(content);
            string metadataBase = Path.Combine(huggingFace, "download", file.Path.Replace('/', Path.DirectorySeparatorChar));
            string metadata = File.ReadAllText(metadataBase + ".metadata");
            var match = Regex.Match(metadata, @"\A([0-9a-f]{40})\n([0-9a-f]+)\n([0-9]+\.[0-9]+)\n\z");
            Assert.True(match.Success, metadata);
            Assert.Equal(main.CommitSha, match.Groups[1].Value);
            Assert.Equal(etag, match.Groups[2].Value);
            double timestamp = double.Parse(match.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(timestamp, before - 1, before + 60);
            Assert.True(File.Exists(metadataBase + ".lock"));
        }
        Assert.Empty(Directory.EnumerateFiles(output, "*.incomplete", SearchOption.AllDirectories));
        Assert.False(Directory.Exists(Path.Combine(home.Path, "hub")));
    }

    [Fact]
    public async Task ReRunsSkipCompleteFilesAndFetchEditedOnes()
    {
        var repository = hub.AddModel();
        using var home = new TempDirectory();
        string output = Path.Combine(home.Path, "out");
        using var client = hub.Client(home.Path);
        var downloader = new HfModelDownloader(client, StandInHub.FastTransfers);
        var request = new HfDownloadRequest { Repository = repository.Id, OutputPath = output };
        await downloader.DownloadAsync(await downloader.PlanAsync(request));

        hub.Server.ClearRequests();
        var again = await downloader.PlanAsync(request);
        Assert.All(again.Files, f => Assert.True(f.IsPresent));
        await downloader.DownloadAsync(again);
        Assert.DoesNotContain(hub.Server.Requests, r => r.Method == "GET" && (r.ToCdn || r.Target.Contains("/resolve/")));

        // An edited file is newer than its metadata: the next run sees it and fetches the original again.
        string config = Path.Combine(output, "config.json");
        File.WriteAllText(config, "edited");
        File.SetLastWriteTimeUtc(config, DateTime.UtcNow.AddMinutes(5));
        var edited = await downloader.PlanAsync(request);
        Assert.False(edited.Files.Single(f => f.Path == "config.json").IsPresent);
        await downloader.DownloadAsync(edited);
        Assert.Equal(ReadAll(repository.Revisions["main"].Find("config.json")!), File.ReadAllBytes(config));
    }

    [Fact]
    public async Task AnLfsFileWithoutMetadataIsKeptWhenItsHashMatches()
    {
        var repository = hub.AddModel();
        var weights = repository.Revisions["main"].Find("model.safetensors")!;
        using var home = new TempDirectory();
        string output = Path.Combine(home.Path, "out");
        Directory.CreateDirectory(output);
        File.WriteAllBytes(Path.Combine(output, "model.safetensors"), ReadAll(weights));
        using var client = hub.Client(home.Path);
        var downloader = new HfModelDownloader(client, StandInHub.FastTransfers);
        hub.Server.ClearRequests();
        var results = await downloader.DownloadAsync(await downloader.PlanAsync(new HfDownloadRequest { Repository = repository.Id, OutputPath = output, Files = ["model.safetensors"] }));
        Assert.Null(results[0].Error);
        Assert.DoesNotContain(hub.Server.Requests, r => r.ToCdn);
        Assert.StartsWith(repository.Revisions["main"].CommitSha + "\n" + weights.Sha256 + "\n",
            File.ReadAllText(Path.Combine(output, ".cache", "huggingface", "download", "model.safetensors.metadata")));
    }

    [Fact]
    public async Task OfflineTheCacheAnswersAndAMissIsClear()
    {
        var repository = hub.AddModel();
        using var home = new TempDirectory();
        using (var online = hub.Client(home.Path))
        {
            var downloader = new HfModelDownloader(online, StandInHub.FastTransfers);
            await downloader.DownloadAsync(await downloader.PlanAsync(new HfDownloadRequest { Repository = repository.Id, Files = ["config.json"] }));
        }
        hub.Server.ClearRequests();
        using var offline = hub.Client(home.Path, offline: true);
        var offlineDownloader = new HfModelDownloader(offline, StandInHub.FastTransfers);
        var plan = await offlineDownloader.PlanAsync(new HfDownloadRequest { Repository = repository.Id, Files = ["config.json"] });
        Assert.True(plan.Offline);
        Assert.Equal(repository.Revisions["main"].CommitSha, plan.CommitHash);
        var results = await offlineDownloader.DownloadAsync(plan);
        Assert.Equal(ReadAll(repository.Revisions["main"].Find("config.json")!), File.ReadAllBytes(results[0].LocalPath));
        Assert.Empty(hub.Server.Requests);

        var miss = await Assert.ThrowsAsync<HfOfflineCacheMissException>(() => offlineDownloader.PlanAsync(new HfDownloadRequest { Repository = repository.Id, Files = ["model.safetensors"] }));
        Assert.Contains("model.safetensors", miss.Message);
        Assert.Contains("HF_HUB_OFFLINE", miss.Message);
        var other = await Assert.ThrowsAsync<HfOfflineCacheMissException>(() => offlineDownloader.PlanAsync(new HfDownloadRequest { Repository = "test-org/never-downloaded" }));
        Assert.Contains("not in the cache", other.Message);
        await Assert.ThrowsAsync<HfOfflineCacheMissException>(() => offline.GetRepositoryInfoAsync(repository.Id));
    }

    [Fact]
    public async Task AnUnreachableHubFallsBackToTheCache()
    {
        var repository = hub.AddModel();
        using var home = new TempDirectory();
        using (var online = hub.Client(home.Path))
        {
            var downloader = new HfModelDownloader(online, StandInHub.FastTransfers);
            await downloader.DownloadAsync(await downloader.PlanAsync(new HfDownloadRequest { Repository = repository.Id }));
        }
        var settings = hub.Settings(home.Path) with { Endpoint = new Uri("http://127.0.0.1:9"), MetadataTimeout = TimeSpan.FromSeconds(2) };
        using var unreachable = new HfHubClient(settings, StandInHub.FastRetries with { MaxRetries = 1 });
        var plan = await new HfModelDownloader(unreachable).PlanAsync(new HfDownloadRequest { Repository = repository.Id });
        Assert.True(plan.Offline);
        Assert.Equal(3, plan.Files.Count);
    }

    [Fact]
    public async Task ForceDownloadsAgain()
    {
        var repository = hub.AddModel();
        using var home = new TempDirectory();
        using var client = hub.Client(home.Path);
        var downloader = new HfModelDownloader(client, StandInHub.FastTransfers);
        await downloader.DownloadAsync(await downloader.PlanAsync(new HfDownloadRequest { Repository = repository.Id }));
        hub.Server.ClearRequests();
        var plan = await downloader.PlanAsync(new HfDownloadRequest { Repository = repository.Id, Force = true });
        Assert.All(plan.Files, f => Assert.False(f.IsPresent));
        Assert.All(await downloader.DownloadAsync(plan), r => Assert.Null(r.Error));
        Assert.Contains(hub.Server.Requests, r => r.ToCdn && r.Method == "GET");
    }

    [Fact]
    public async Task IncludeAndExcludeSelectFiles()
    {
        var repository = hub.AddModel();
        using var home = new TempDirectory();
        using var client = hub.Client(home.Path);
        var downloader = new HfModelDownloader(client, StandInHub.FastTransfers);
        var plan = await downloader.PlanAsync(new HfDownloadRequest { Repository = repository.Id, Include = ["*.json"], Exclude = ["tokenizer/"] });
        Assert.Equal(["config.json"], plan.Files.Select(f => f.Path));
        Assert.Equal(repository.Revisions["main"].Find("config.json")!.Size, plan.BytesToDownload);
    }

    private static byte[] ReadAll(StandInFile file)
    {
        using var stream = file.OpenRead();
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    private static string GitBlobId(byte[] content) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {content.Length}\0"), .. content]));
}
