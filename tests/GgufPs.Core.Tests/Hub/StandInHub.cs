using GgufPs.Hub;
using GgufPs.HubStandIn;

namespace GgufPs.Tests.Hub;

/// <summary>One stand-in Hub per test class; each test adds its own repositories (unique ids) and scratch folders.</summary>
public sealed class StandInHub : IAsyncLifetime
{
    private int _counter;

    public HubStandInServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await HubStandInServer.StartAsync();

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();

    /// <summary>A fresh repository id, so tests in parallel never share one.</summary>
    public string NewId(string name = "model") => $"test-org/{name}-{Interlocked.Increment(ref _counter)}";

    /// <summary>Settings pointing at the stand-in, with the cache under <paramref name="home"/>.</summary>
    public HubSettings Settings(string home, string? token = null, bool offline = false) => new()
    {
        Endpoint = Server.HubUrl,
        Token = token,
        Offline = offline,
        HfHome = home,
        CacheDirectory = Path.Combine(home, "hub"),
        DownloadTimeout = TimeSpan.FromSeconds(10),
        MetadataTimeout = TimeSpan.FromSeconds(10),
    };

    public static HubRetryOptions FastRetries { get; } = new() { BaseDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(50) };

    public static HfTransferOptions FastTransfers { get; } = new() { RetryDelay = TimeSpan.FromMilliseconds(10) };

    /// <summary>Transfers that split anything over 64 KiB into 16 KiB ranges over 4 connections.</summary>
    public static HfTransferOptions SmallRanges { get; } = new()
    {
        RetryDelay = TimeSpan.FromMilliseconds(10),
        ParallelThreshold = 64 << 10,
        ChunkSize = 16 << 10,
        RangesPerFile = 4,
        SplitOnLoopback = true,
    };

    public HfHubClient Client(string home, string? token = null, bool offline = false) => new(Settings(home, token, offline), FastRetries);

    /// <summary>Deterministic bytes, different per seed.</summary>
    public static byte[] Bytes(int length, int seed)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>A repository with a small config (regular file), a nested regular file and an LFS weight file.</summary>
    public StandInRepository AddModel(string? id = null, int weightBytes = 200_000)
    {
        var repository = new StandInRepository(id ?? NewId());
        repository.AddRevision("main",
        [
            StandInFile.FromText("config.json", "{\"model_type\": \"llama\"}\n"),
            StandInFile.FromText("tokenizer/tokenizer_config.json", "{\"add_bos_token\": true}\n"),
            StandInFile.FromBytes("model.safetensors", Bytes(weightBytes, weightBytes), isLfs: true),
        ]);
        return Server.Add(repository);
    }
}
