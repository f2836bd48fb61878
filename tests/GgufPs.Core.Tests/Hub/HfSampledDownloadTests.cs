using GgufPs.Hub;

namespace GgufPs.Tests.Hub;

public class HfSampledDownloadTests(StandInHub hub) : IClassFixture<StandInHub>
{
    [Fact]
    public async Task TheLastSampleSeesEveryFileFinished()
    {
        var repository = hub.AddModel();
        using var home = new TempDirectory();
        using var client = hub.Client(home.Path);
        var downloader = new HfModelDownloader(client, StandInHub.FastTransfers);
        var plan = await downloader.PlanAsync(new HfDownloadRequest { Repository = repository.Id });
        var samples = new List<HfFileState[]>();
        var results = HfSampledDownload.Run(downloader, plan, TimeSpan.FromMilliseconds(5),
            progress => samples.Add(progress.Files.Select(f => f.State).ToArray()), CancellationToken.None);
        Assert.All(results, r => Assert.Null(r.Error));
        Assert.NotEmpty(samples);
        Assert.All(samples[^1], state => Assert.Equal(HfFileState.Done, state));
    }

    [Fact]
    public async Task ACancelledDownloadSurfacesItsCancellation()
    {
        var repository = hub.AddModel();
        using var home = new TempDirectory();
        using var client = hub.Client(home.Path);
        var downloader = new HfModelDownloader(client, StandInHub.FastTransfers);
        var plan = await downloader.PlanAsync(new HfDownloadRequest { Repository = repository.Id });
        Assert.ThrowsAny<OperationCanceledException>(() =>
            HfSampledDownload.Run(downloader, plan, TimeSpan.FromMilliseconds(5), _ => { }, new CancellationToken(canceled: true)));
    }
}
