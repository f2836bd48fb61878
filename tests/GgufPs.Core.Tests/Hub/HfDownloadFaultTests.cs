using GgufPs.Hub;
using GgufPs.HubStandIn;

namespace GgufPs.Tests.Hub;

/// <summary>Every fault the stand-in plays is survived or refused, and nothing corrupt is left on disk.</summary>
public class HfDownloadFaultTests(StandInHub hub) : IClassFixture<StandInHub>
{
    private const string Weights = "model.safetensors";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ADroppedConnectionResumesWithRange(bool ranges)
    {
        var repository = hub.AddModel(weightBytes: 300_000);
        hub.Server.AddFault(new StandInFault(StandInFaultKind.DropConnection) { Repository = null, Path = Weights, AfterBytes = 5_000 });
        var (home, results) = await DownloadAsync(repository, ranges ? StandInHub.SmallRanges : StandInHub.FastTransfers);
        using (home)
        {
            Assert.All(results, r => Assert.Null(r.Error));
            AssertWeights(repository, results);
            var cdn = hub.Server.Requests.Where(r => r.ToCdn && r.Target.Contains(Sha(repository))).ToList();
            Assert.True(cdn.Count >= 2);
            // The retry asks for what was missing, from the byte the connection dropped at: 5,000 bytes into the
            // stream, or into the range that dropped (ranges start at multiples of the 16 KiB chunk).
            var starts = cdn.Where(r => r.Range is not null).Select(r => r.Range!).Select(range => long.Parse(range[6..range.IndexOf('-')], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Contains(starts, start => start % (16 << 10) == 5_000);
        }
    }

    [Fact]
    public async Task AnInterruptedRunResumesFromTheIncompleteFile()
    {
        var repository = hub.AddModel(weightBytes: 250_000);
        var weights = repository.Revisions["main"].Find(Weights)!;
        using var home = new TempDirectory();
        string incomplete = Path.Combine(home.Path, "hub", "models--" + repository.Id.Replace("/", "--"), "blobs", weights.Sha256 + ".incomplete");
        Directory.CreateDirectory(Path.GetDirectoryName(incomplete)!);
        File.WriteAllBytes(incomplete, Content(weights)[..100_000]);

        using var client = hub.Client(home.Path);
        var downloader = new HfModelDownloader(client, StandInHub.FastTransfers);
        var results = await downloader.DownloadAsync(await downloader.PlanAsync(new HfDownloadRequest { Repository = repository.Id, Files = [Weights] }));
        Assert.Null(results[0].Error);
        AssertWeights(repository, results);
        var get = Assert.Single(hub.Server.Requests, r => r.ToCdn && r.Method == "GET" && r.Target.Contains(weights.Sha256));
        Assert.Equal("bytes=100000-", get.Range);
        Assert.Equal(206, get.Status);
        Assert.False(File.Exists(incomplete));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AServerIgnoringRangeMakesTheDownloadStartOver(bool ranges)
    {
        var repository = hub.AddModel(weightBytes: 200_000);
        var weights = repository.Revisions["main"].Find(Weights)!;
        using var home = new TempDirectory();
        string incomplete = Path.Combine(home.Path, "hub", "models--" + repository.Id.Replace("/", "--"), "blobs", weights.Sha256 + ".incomplete");
        Directory.CreateDirectory(Path.GetDirectoryName(incomplete)!);
        File.WriteAllBytes(incomplete, Content(weights)[..50_000]);
        hub.Server.AddFault(new StandInFault(StandInFaultKind.IgnoreRange, times: 1000) { Path = Weights, Repository = null });

        using var client = hub.Client(home.Path);
        var downloader = new HfModelDownloader(client, ranges ? StandInHub.SmallRanges : StandInHub.FastTransfers);
        var results = await downloader.DownloadAsync(await downloader.PlanAsync(new HfDownloadRequest { Repository = repository.Id, Files = [Weights] }));
        hub.Server.ClearFaults();
        Assert.Null(results[0].Error);
        AssertWeights(repository, results);
        Assert.Contains(hub.Server.Requests, r => r.ToCdn && r.Range is not null && r.Status == 200);
    }

    [Fact]
    public async Task ALargeFileComesInParallelRangesAndIsHashedInOrder()
    {
        var repository = hub.AddModel(weightBytes: 1_000_003);
        var (home, results) = await DownloadAsync(repository, StandInHub.SmallRanges);
        using (home)
        {
            Assert.Null(results.Single(r => r.Path == Weights).Error);
            AssertWeights(repository, results);
            var ranges = hub.Server.Requests.Where(r => r.ToCdn && r.Target.Contains(Sha(repository))).ToList();
            Assert.Equal((1_000_003 + (16 << 10) - 1) / (16 << 10), ranges.Count);
            Assert.All(ranges, r => Assert.Equal(206, r.Status));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CorruptBytesAreAnErrorNamingTheFileAndNothingIsLeft(bool localDirectory)
    {
        var repository = hub.AddModel();
        hub.Server.AddFault(new StandInFault(StandInFaultKind.CorruptBytes) { Path = Weights });
        using var home = new TempDirectory();
        using var client = hub.Client(home.Path);
        var downloader = new HfModelDownloader(client, StandInHub.FastTransfers);
        string output = Path.Combine(home.Path, "out");
        var results = await downloader.DownloadAsync(await downloader.PlanAsync(new HfDownloadRequest
        {
            Repository = repository.Id,
            OutputPath = localDirectory ? output : null,
        }));
        var failed = Assert.Single(results, r => r.Error is not null);
        var error = Assert.IsType<HfIntegrityException>(failed.Error);
        Assert.Equal(Weights, failed.Path);
        Assert.Contains(Weights, error.Message);
        Assert.Contains("SHA-256", error.Message);
        string root = localDirectory ? output : Path.Combine(home.Path, "hub");
        Assert.DoesNotContain(Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories), f => f.EndsWith(".incomplete", StringComparison.Ordinal)
            || Path.GetFileName(f) == Weights || Path.GetFileName(f) == Sha(repository) || f.EndsWith(Weights + ".metadata", StringComparison.Ordinal));
        Assert.All(results.Where(r => r.Path != Weights), r => Assert.Null(r.Error));

        // The next run downloads it whole.
        var again = await downloader.DownloadAsync(await downloader.PlanAsync(new HfDownloadRequest { Repository = repository.Id, OutputPath = localDirectory ? output : null }));
        Assert.All(again, r => Assert.Null(r.Error));
        AssertWeights(repository, again);
    }

    [Fact]
    public async Task UnavailableAndTooManyRequestsOnTheContentAreRetried()
    {
        var repository = hub.AddModel();
        hub.Server.AddFault(new StandInFault(StandInFaultKind.ServiceUnavailable) { Path = Weights, RetryAfterSeconds = 0 });
        hub.Server.AddFault(new StandInFault(StandInFaultKind.TooManyRequests) { Path = "config.json", RetryAfterSeconds = 0 });
        var (home, results) = await DownloadAsync(repository, StandInHub.FastTransfers);
        using (home)
        {
            Assert.All(results, r => Assert.Null(r.Error));
            AssertWeights(repository, results);
            Assert.Contains(hub.Server.Requests, r => r.Status == 503 && r.Target.Contains(Sha(repository)));
            Assert.Contains(hub.Server.Requests, r => r.Status == 429 && r.Target.Contains(repository.Id + "/resolve/"));
        }
    }

    [Fact]
    public async Task APathWithDotDotIsRefusedBeforeAnythingIsWritten()
    {
        var repository = new StandInRepository(hub.NewId("evil"));
        repository.AddRevision("main",
        [
            StandInFile.FromText("config.json", "{}"),
            StandInFile.FromText("../outside.txt", "escaped"),
        ]);
        hub.Server.Add(repository);
        using var home = new TempDirectory();
        string output = Path.Combine(home.Path, "out");
        using var client = hub.Client(home.Path);
        var downloader = new HfModelDownloader(client, StandInHub.FastTransfers);
        var error = await Assert.ThrowsAsync<HfUnsafePathException>(() => downloader.PlanAsync(new HfDownloadRequest { Repository = repository.Id, OutputPath = output }));
        Assert.Equal("../outside.txt", error.Path);
        await Assert.ThrowsAsync<HfUnsafePathException>(() => downloader.PlanAsync(new HfDownloadRequest { Repository = repository.Id }));
        await Assert.ThrowsAsync<HfUnsafePathException>(() => downloader.PlanAsync(new HfDownloadRequest { Repository = repository.Id, Files = ["/etc/passwd"] }));
        Assert.False(File.Exists(Path.Combine(home.Path, "outside.txt")));
        Assert.False(Directory.Exists(output));
        Assert.DoesNotContain(hub.Server.Requests, r => r.Target.Contains("outside", StringComparison.Ordinal));

        // Excluding it downloads the rest.
        var results = await downloader.DownloadAsync(await downloader.PlanAsync(new HfDownloadRequest { Repository = repository.Id, OutputPath = output, Exclude = ["../*"] }));
        Assert.Equal(["config.json"], results.Select(r => r.Path));
    }

    [Fact]
    public async Task AGatedRepositoryFailsWithoutAGrantedTokenAndWorksWithOne()
    {
        var repository = hub.AddModel();
        repository.Gated = true;
        repository.GrantedTokens.Add("hf_granted");
        using var home = new TempDirectory();
        using (var anonymous = hub.Client(home.Path))
        {
            var downloader = new HfModelDownloader(anonymous, StandInHub.FastTransfers);
            var results = await downloader.DownloadAsync(await downloader.PlanAsync(new HfDownloadRequest { Repository = repository.Id }));
            Assert.All(results, r => Assert.IsType<HfGatedRepositoryException>(r.Error));
        }
        hub.Server.ClearRequests();
        using var granted = hub.Client(home.Path, "hf_granted");
        var grantedDownloader = new HfModelDownloader(granted, StandInHub.FastTransfers);
        var ok = await grantedDownloader.DownloadAsync(await grantedDownloader.PlanAsync(new HfDownloadRequest { Repository = repository.Id }));
        Assert.All(ok, r => Assert.Null(r.Error));
        Assert.All(hub.Server.Requests.Where(r => !r.ToCdn), r => Assert.Equal("Bearer hf_granted", r.Authorization));
        Assert.All(hub.Server.Requests.Where(r => r.ToCdn), r => Assert.Null(r.Authorization));
        Assert.Contains(hub.Server.Requests, r => r.ToCdn);
    }

    [Fact]
    public async Task AMissingFileIsEntryNotFoundAndRememberedInTheCache()
    {
        var repository = hub.AddModel();
        using var home = new TempDirectory();
        using var client = hub.Client(home.Path);
        var downloader = new HfModelDownloader(client, StandInHub.FastTransfers);
        var results = await downloader.DownloadAsync(await downloader.PlanAsync(new HfDownloadRequest { Repository = repository.Id, Files = ["nope.gguf"] }));
        Assert.IsType<HfEntryNotFoundException>(results[0].Error);
        string commit = repository.Revisions["main"].CommitSha;
        Assert.True(File.Exists(Path.Combine(home.Path, "hub", "models--" + repository.Id.Replace("/", "--"), ".no_exist", commit, "nope.gguf")));
    }

    [Fact]
    public async Task AFullDiskDeletesThePartialFileAndSaysSo()
    {
        Assert.SkipUnless(File.Exists("/dev/full"), "needs /dev/full to fill a disk");
        var repository = hub.AddModel();
        var weights = repository.Revisions["main"].Find(Weights)!;
        using var home = new TempDirectory();
        string output = Path.Combine(home.Path, "out");
        // The partial file is a link to /dev/full: every write fails with ENOSPC, as on a full disk.
        string incomplete = Path.Combine(output, ".cache", "huggingface", "download", Weights + "." + weights.Sha256 + ".incomplete");
        Directory.CreateDirectory(Path.GetDirectoryName(incomplete)!);
        File.CreateSymbolicLink(incomplete, "/dev/full");

        using var client = hub.Client(home.Path);
        var downloader = new HfModelDownloader(client, StandInHub.FastTransfers);
        var results = await downloader.DownloadAsync(await downloader.PlanAsync(new HfDownloadRequest { Repository = repository.Id, OutputPath = output, Files = [Weights] }));
        var error = Assert.IsType<HfDiskFullException>(results[0].Error);
        Assert.Contains("disk is full", error.Message);
        Assert.Contains(Weights, error.Message);
        Assert.False(File.Exists(incomplete) || new FileInfo(incomplete).LinkTarget is not null);
        Assert.False(File.Exists(Path.Combine(output, Weights)));
    }

    [Fact]
    public async Task ProgressCountsEveryByteOfEveryFile()
    {
        var repository = hub.AddModel(weightBytes: 120_000);
        using var home = new TempDirectory();
        using var client = hub.Client(home.Path);
        var downloader = new HfModelDownloader(client, StandInHub.FastTransfers);
        var plan = await downloader.PlanAsync(new HfDownloadRequest { Repository = repository.Id });
        var progress = HfModelDownloader.CreateProgress(plan);
        var first = progress.Sample();
        Assert.Equal(plan.BytesToDownload, first.Overall.Total);
        Assert.Equal(0, first.Overall.Bytes);
        await downloader.DownloadAsync(plan, progress);
        var last = progress.Sample();
        Assert.Equal(plan.BytesToDownload, last.Overall.Bytes);
        Assert.Equal(100, last.Overall.PercentComplete);
        Assert.All(progress.Files, f => Assert.Equal(HfFileState.Done, f.State));
    }

    private async Task<(TempDirectory Home, IReadOnlyList<HfDownloadedFile> Results)> DownloadAsync(StandInRepository repository, HfTransferOptions options)
    {
        var home = new TempDirectory();
        using var client = hub.Client(home.Path);
        var downloader = new HfModelDownloader(client, options);
        return (home, await downloader.DownloadAsync(await downloader.PlanAsync(new HfDownloadRequest { Repository = repository.Id })));
    }

    private static void AssertWeights(StandInRepository repository, IReadOnlyList<HfDownloadedFile> results)
    {
        var weights = repository.Revisions["main"].Find(Weights)!;
        Assert.Equal(Content(weights), File.ReadAllBytes(results.Single(r => r.Path == Weights).LocalPath));
    }

    private static string Sha(StandInRepository repository) => repository.Revisions["main"].Find(Weights)!.Sha256;

    private static byte[] Content(StandInFile file)
    {
        using var stream = file.OpenRead();
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }
}
