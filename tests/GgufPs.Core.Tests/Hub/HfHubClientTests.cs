using System.Diagnostics;
using GgufPs.Hub;
using GgufPs.HubStandIn;

namespace GgufPs.Tests.Hub;

/// <summary>Listing, metadata, search and the Hub's errors, against the stand-in.</summary>
public class HfHubClientTests(StandInHub hub) : IClassFixture<StandInHub>
{
    [Fact]
    public async Task TheRevisionApiGivesTheCommitAndTheFiles()
    {
        var repository = hub.AddModel();
        using var home = new TempDirectory();
        using var client = hub.Client(home.Path);
        var info = await client.GetRepositoryInfoAsync(repository.Id);
        Assert.Equal(repository.Revisions["main"].CommitSha, info.CommitHash);
        Assert.Equal(["config.json", "tokenizer/tokenizer_config.json", "model.safetensors"], info.Siblings.Select(s => s.Path));
    }

    [Fact]
    public async Task TheTreeApiIsFollowedPageByPage()
    {
        var repository = hub.AddModel();
        hub.Server.TreePageSize = 2;
        using var home = new TempDirectory();
        using var client = hub.Client(home.Path);
        var entries = new List<HfTreeEntry>();
        await foreach (var entry in client.ListTreeAsync(repository.Id, "main"))
        {
            entries.Add(entry);
        }
        hub.Server.TreePageSize = 1000;
        Assert.Equal(["config.json", "model.safetensors", "tokenizer", "tokenizer/tokenizer_config.json"], entries.Select(e => e.Path));
        Assert.True(entries[2].IsDirectory);
        var weights = repository.Revisions["main"].Find("model.safetensors")!;
        Assert.Equal(weights.Sha256, entries[1].LfsSha256);
        Assert.Equal(weights.Size, entries[1].Size);
        Assert.True(hub.Server.Requests.Count(r => r.Target.Contains($"/api/models/{repository.Id}/tree/", StringComparison.Ordinal)) >= 2);
    }

    [Fact]
    public async Task FilesCarrySizesHashesAndQuantizationTypes()
    {
        var repository = new StandInRepository(hub.NewId("gguf"));
        repository.AddRevision("main",
        [
            StandInFile.FromText("README.md", "# card\n"),
            StandInFile.FromBytes("tiny.Q4_K_M.gguf", StandInHub.Bytes(1000, 1), isLfs: true),
            StandInFile.FromBytes("tiny.Q8_0.gguf", StandInHub.Bytes(2000, 2), isLfs: true),
        ]);
        hub.Server.Add(repository);
        using var home = new TempDirectory();
        using var client = hub.Client(home.Path);
        var files = await client.ListFilesAsync(repository.Id);
        Assert.Equal([null, "Q4_K_M", "Q8_0"], files.Select(f => f.QuantizationType));
        Assert.Equal([7L, 1000, 2000], files.Select(f => f.Size));
        Assert.Equal([false, true, true], files.Select(f => f.IsLfs));
        Assert.Equal(repository.Revisions["main"].Files[1].Sha256, files[1].Sha256);
        Assert.Null(files[0].Sha256);
        Assert.Equal(repository.Revisions["main"].Files[0].BlobId, files[0].BlobId);
        Assert.All(files, f => Assert.Equal(repository.Revisions["main"].CommitSha, f.CommitHash));
    }

    [Fact]
    public async Task MetadataOfAnLfsFileNamesTheCdnAndTheSha256()
    {
        var repository = hub.AddModel();
        using var home = new TempDirectory();
        using var client = hub.Client(home.Path, token: "hf_secret");
        var weights = repository.Revisions["main"].Find("model.safetensors")!;
        var metadata = await client.GetFileMetadataAsync(repository.Id, "main", "model.safetensors");
        Assert.Equal(weights.Sha256, metadata.ETag);
        Assert.True(metadata.IsSha256);
        Assert.Equal(weights.Size, metadata.Size);
        Assert.Equal(hub.Server.CdnUrl.Authority, metadata.Location.Authority);
        Assert.Equal(repository.Revisions["main"].CommitSha, metadata.CommitHash);

        var config = await client.GetFileMetadataAsync(repository.Id, "main", "config.json");
        Assert.Equal(repository.Revisions["main"].Find("config.json")!.BlobId, config.ETag);
        Assert.False(config.IsSha256);
        Assert.Equal(hub.Server.HubUrl.Authority, config.Location.Authority);
    }

    [Fact]
    public async Task AnUnknownRepositoryMentionsPrivateRepositoriesAndTokens()
    {
        using var home = new TempDirectory();
        using var client = hub.Client(home.Path);
        var error = await Assert.ThrowsAsync<HfRepositoryNotFoundException>(() => client.GetRepositoryInfoAsync("nobody/nothing"));
        Assert.Contains("private", error.Message);
        Assert.Contains("HF_TOKEN", error.Message);
        Assert.Equal(401, error.StatusCode);
    }

    [Fact]
    public async Task APrivateRepositoryNeedsItsToken()
    {
        var repository = hub.AddModel();
        repository.RequiredToken = "hf_private";
        using var home = new TempDirectory();
        using (var anonymous = hub.Client(home.Path))
        {
            await Assert.ThrowsAsync<HfRepositoryNotFoundException>(() => anonymous.GetRepositoryInfoAsync(repository.Id));
        }
        using var client = hub.Client(home.Path, token: "hf_private");
        Assert.Equal(3, (await client.GetRepositoryInfoAsync(repository.Id)).Siblings.Count);
    }

    [Fact]
    public async Task AGatedRepositoryTellsToAcceptTheLicenceAndSetHfToken()
    {
        var repository = hub.AddModel();
        repository.Gated = true;
        repository.GrantedTokens.Add("hf_granted");
        using var home = new TempDirectory();
        foreach (string? token in new[] { null, "hf_not_granted" })
        {
            using var client = hub.Client(home.Path, token);
            var error = await Assert.ThrowsAsync<HfGatedRepositoryException>(() => client.GetFileMetadataAsync(repository.Id, "main", "config.json"));
            Assert.Contains("licence", error.Message);
            Assert.Contains("HF_TOKEN", error.Message);
            Assert.Contains(repository.Id, error.Message);
            Assert.Equal(token is null ? 401 : 403, error.StatusCode);
        }
        using var granted = hub.Client(home.Path, "hf_granted");
        Assert.Equal(repository.Revisions["main"].CommitSha, (await granted.GetFileMetadataAsync(repository.Id, "main", "config.json")).CommitHash);
    }

    [Fact]
    public async Task MissingFilesAndRevisionsHaveTheirOwnErrors()
    {
        var repository = hub.AddModel();
        using var home = new TempDirectory();
        using var client = hub.Client(home.Path);
        var entry = await Assert.ThrowsAsync<HfEntryNotFoundException>(() => client.GetFileMetadataAsync(repository.Id, "main", "missing.bin"));
        Assert.Contains("missing.bin", entry.Message);
        var revision = await Assert.ThrowsAsync<HfRevisionNotFoundException>(() => client.GetRepositoryInfoAsync(repository.Id, "v9"));
        Assert.Contains("v9", revision.Message);
        await Assert.ThrowsAsync<HfRevisionNotFoundException>(() => client.GetFileMetadataAsync(repository.Id, "v9", "config.json"));
    }

    [Fact]
    public async Task ARenamedRepositoryIsFollowedWithItsTokenButTheCdnNeverSeesIt()
    {
        var repository = hub.AddModel();
        string former = hub.NewId("former-name");
        repository.FormerIds.Add(former);
        repository.RequiredToken = "hf_renamed";
        using var home = new TempDirectory();
        using var client = hub.Client(home.Path, "hf_renamed");
        var metadata = await client.GetFileMetadataAsync(former, "main", "model.safetensors");
        Assert.Equal(repository.Revisions["main"].Find("model.safetensors")!.Sha256, metadata.ETag);

        var requests = hub.Server.Requests.Where(r => r.Target.Contains(repository.Id) || r.Target.Contains(former)).ToList();
        var redirect = Assert.Single(requests, r => r.Status == 307);
        Assert.Equal("Bearer hf_renamed", redirect.Authorization);
        Assert.Contains(requests, r => r.Target.StartsWith("/" + repository.Id + "/resolve/", StringComparison.Ordinal) && r.Authorization == "Bearer hf_renamed" && r.Status == 302);

        // Downloading from the CDN location: the token must not follow to the other host.
        using var scratch = new TempDirectory();
        var plan = await new HfModelDownloader(client, StandInHub.FastTransfers).PlanAsync(new HfDownloadRequest { Repository = former, Files = ["model.safetensors"] });
        var results = await new HfModelDownloader(client, StandInHub.FastTransfers).DownloadAsync(plan);
        Assert.Null(results[0].Error);
        Assert.All(hub.Server.Requests.Where(r => r.ToCdn), r => Assert.Null(r.Authorization));
        Assert.Contains(hub.Server.Requests, r => r.ToCdn && r.Target.Contains(metadata.ETag));
    }

    [Fact]
    public async Task TooManyRequestsIsRetriedAfterRetryAfter()
    {
        var repository = hub.AddModel();
        hub.Server.AddFault(new StandInFault(StandInFaultKind.TooManyRequests) { Target = StandInFaultTarget.Metadata, Repository = repository.Id, RetryAfterSeconds = 1 });
        using var home = new TempDirectory();
        using var client = hub.Client(home.Path);
        var clock = Stopwatch.StartNew();
        var metadata = await client.GetFileMetadataAsync(repository.Id, "main", "config.json");
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.9), $"retried after {clock.Elapsed}");
        Assert.Equal(repository.Revisions["main"].CommitSha, metadata.CommitHash);
        Assert.Contains(hub.Server.Requests, r => r.Status == 429 && r.Target.Contains(repository.Id));
    }

    [Fact]
    public async Task UnavailableIsRetriedAndGivesUpAfterTheLimit()
    {
        var repository = hub.AddModel();
        hub.Server.AddFault(new StandInFault(StandInFaultKind.ServiceUnavailable) { Target = StandInFaultTarget.Api, Repository = repository.Id, RetryAfterSeconds = null });
        using var home = new TempDirectory();
        using var client = hub.Client(home.Path);
        Assert.Equal(3, (await client.GetRepositoryInfoAsync(repository.Id)).Siblings.Count);

        hub.Server.AddFault(new StandInFault(StandInFaultKind.ServiceUnavailable, times: 100) { Target = StandInFaultTarget.Api, Repository = repository.Id, RetryAfterSeconds = null });
        var error = await Assert.ThrowsAsync<HfHubException>(() => client.GetRepositoryInfoAsync(repository.Id));
        Assert.Equal(503, error.StatusCode);
        // One 503 for the first fault, then the first try and every retry of the second.
        Assert.Equal(2 + StandInHub.FastRetries.MaxRetries, hub.Server.Requests.Count(r => r.Status == 503 && r.Target.Contains(repository.Id)));
    }

    [Fact]
    public async Task SearchFollowsLinkPagesAndReadsTheGgufSummary()
    {
        string author = "search-" + Guid.NewGuid().ToString("N")[..8];
        for (int i = 0; i < 5; i++)
        {
            var repository = new StandInRepository($"{author}/m{i}-GGUF") { Downloads = 100 * i, Likes = 10 - i };
            repository.Tags.AddRange(i % 2 == 0 ? ["gguf", "text-generation"] : ["safetensors"]);
            repository.Gated = i == 4;
            if (i % 2 == 0)
            {
                repository.Gguf = new StandInGgufSummary("llama", 2048 * (i + 1), 1_000_000L * (i + 1));
            }
            repository.AddRevision("main", [StandInFile.FromText("README.md", "x")]);
            hub.Server.Add(repository);
        }
        hub.Server.SearchPageSize = 2;
        using var home = new TempDirectory();
        using var client = hub.Client(home.Path);
        var all = await client.SearchModelsAsync(new HfModelQuery { Author = author, Sort = HfModelSort.Downloads }).ToListAsync();
        var gguf = await client.SearchModelsAsync(new HfModelQuery { Author = author, Filter = ["gguf"], Sort = HfModelSort.Likes }).ToListAsync();
        var first = await client.SearchModelsAsync(new HfModelQuery { Search = "m3", Author = author }).ToListAsync();
        var limited = await client.SearchModelsAsync(new HfModelQuery { Author = author, First = 3 }).ToListAsync();
        hub.Server.SearchPageSize = 1000;

        Assert.Equal([4, 3, 2, 1, 0], all.Select(m => m.Id[(author.Length + 2)..][0] - '0'));
        Assert.Equal([$"{author}/m0-GGUF", $"{author}/m2-GGUF", $"{author}/m4-GGUF"], gguf.Select(m => m.Id));
        var m4 = all[0];
        Assert.Equal(author, m4.Author);
        Assert.Equal(400, m4.Downloads);
        Assert.Equal(6, m4.Likes);
        Assert.True(m4.Gated);
        Assert.Equal("llama", m4.Architecture);
        Assert.Equal(10240, m4.ContextLength);
        Assert.Equal(5_000_000, m4.Parameters);
        Assert.Contains("gguf", m4.Tags);
        Assert.NotNull(m4.LastModified);
        Assert.Null(all[1].Architecture);
        Assert.False(all[1].Gated);
        Assert.Equal([$"{author}/m3-GGUF"], first.Select(m => m.Id));
        Assert.Equal(3, limited.Count);
    }
}
