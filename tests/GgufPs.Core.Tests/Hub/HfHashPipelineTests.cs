using System.Security.Cryptography;
using GgufPs.Hub;

namespace GgufPs.Tests.Hub;

public sealed class HfHashPipelineTests
{
    [Fact]
    public async Task HashesPostedBuffersInOrderAsOneStream()
    {
        var data = new byte[3_000_000];
        new Random(7).NextBytes(data);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var random = new Random(11);
        await using (var pipeline = new HfHashPipeline(hash, bufferCount: 3, bufferSize: 64 << 10))
        {
            for (int offset = 0; offset < data.Length;)
            {
                byte[] buffer = await pipeline.RentAsync(TestContext.Current.CancellationToken);
                int count = Math.Min(random.Next(1, 64 << 10), data.Length - offset);
                data.AsSpan(offset, count).CopyTo(buffer);
                pipeline.Post(buffer, count);
                offset += count;
            }
            await pipeline.DrainAsync();
        }
        Assert.Equal(SHA256.HashData(data), hash.GetHashAndReset());
    }

    [Fact]
    public async Task DrainWaitsForEveryPostedBufferSoTheHashCanBeReset()
    {
        var stale = new byte[1 << 20];
        var fresh = new byte[100];
        new Random(3).NextBytes(stale);
        new Random(5).NextBytes(fresh);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var pipeline = new HfHashPipeline(hash, bufferCount: 2, bufferSize: 1 << 20);
        byte[] buffer = await pipeline.RentAsync(TestContext.Current.CancellationToken);
        stale.CopyTo(buffer, 0);
        pipeline.Post(buffer, stale.Length);
        buffer = await pipeline.RentAsync(TestContext.Current.CancellationToken);
        pipeline.Return(buffer);
        await pipeline.DrainAsync();
        hash.GetHashAndReset();

        buffer = await pipeline.RentAsync(TestContext.Current.CancellationToken);
        fresh.CopyTo(buffer, 0);
        pipeline.Post(buffer, fresh.Length);
        await pipeline.DrainAsync();
        Assert.Equal(SHA256.HashData(fresh), hash.GetHashAndReset());
    }
}
