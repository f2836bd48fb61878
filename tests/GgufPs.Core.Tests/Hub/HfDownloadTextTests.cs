using GgufPs.Hub;

namespace GgufPs.Tests.Hub;

public class HfDownloadTextTests
{
    [Theory]
    [InlineData(512L, "512 B")]
    [InlineData(1536L, "1.54 KB")]
    [InlineData(5L << 20, "5.24 MB")]
    [InlineData(3L << 30, "3.22 GB")]
    public void SizesAreTheModulesDecimalUnits(long bytes, string expected) => Assert.Equal(expected, HfDownloadText.Size(bytes));

    [Fact]
    public void AFileShowsItsRateOnlyWhileItMoves()
    {
        Assert.Equal("1.02 KB of 2.05 KB at 512 B/s", HfDownloadText.FileStatus(new HfTransferSample("a", 1024, 2048, 512, null, HfFileState.Downloading)));
        Assert.Equal("1.02 KB of 2.05 KB", HfDownloadText.FileStatus(new HfTransferSample("a", 1024, 2048, 0, null, HfFileState.Downloading)));
        Assert.Equal("checking SHA-256", HfDownloadText.FileStatus(new HfTransferSample("a", 2048, 2048, 0, null, HfFileState.Verifying)));
    }
}
