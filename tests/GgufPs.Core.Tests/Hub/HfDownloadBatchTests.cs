using GgufPs.Hub;

namespace GgufPs.Tests.Hub;

public class HfDownloadBatchTests
{
    [Fact]
    public void FilesOfOneRepositoryRevisionAndFolderJoinOneRequest()
    {
        var batch = new HfDownloadBatch();
        batch.Add(new HfDownloadRequest { Repository = "org/Model", Files = ["a.gguf"] });
        batch.Add(new HfDownloadRequest { Repository = "ORG/model", Files = ["b.gguf", "a.gguf"] });
        var request = Assert.Single(batch.Requests);
        Assert.Equal(["a.gguf", "b.gguf"], request.Files);
        Assert.Equal("org/Model", request.Repository);
    }

    [Fact]
    public void AnotherRevisionFolderOrAWholeRepositoryStaysApart()
    {
        var batch = new HfDownloadBatch();
        batch.Add(new HfDownloadRequest { Repository = "org/model", Files = ["a.gguf"] });
        batch.Add(new HfDownloadRequest { Repository = "org/model", Revision = "v2", Files = ["a.gguf"] });
        batch.Add(new HfDownloadRequest { Repository = "org/model", OutputPath = "/tmp/x", Files = ["a.gguf"] });
        batch.Add(new HfDownloadRequest { Repository = "org/model" });
        batch.Add(new HfDownloadRequest { Repository = "org/model", Files = ["b.gguf"] });
        Assert.Equal(4, batch.Requests.Count);
        Assert.Equal(["a.gguf", "b.gguf"], batch.Requests[0].Files);
        Assert.Null(batch.Requests[3].Files);
    }
}
