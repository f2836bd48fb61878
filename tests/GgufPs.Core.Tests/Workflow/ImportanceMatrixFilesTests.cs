using GgufPs.Evaluation;
using GgufPs.Workflow;

namespace GgufPs.Tests.Workflow;

public class ImportanceMatrixFilesTests
{
    [Theory]
    [InlineData("/models/model-f16.gguf", ImportanceMatrixFormat.Gguf, "/models/model-f16.imatrix.gguf")]
    [InlineData("/models/model-f16.gguf", ImportanceMatrixFormat.Dat, "/models/model-f16.imatrix.dat")]
    [InlineData("/models/weights", ImportanceMatrixFormat.Gguf, "/models/weights.imatrix.gguf")]
    [InlineData("/models/model-f16-00002-of-00003.gguf", ImportanceMatrixFormat.Gguf, "/models/model-f16.imatrix.gguf")]
    public void NamesTheMatrixAfterTheModelOrItsSet(string model, ImportanceMatrixFormat format, string expected) =>
        Assert.Equal(Path.GetFullPath(expected), ImportanceMatrixFiles.DefaultPath(model, format));

    [Theory]
    [InlineData("a.dat", ImportanceMatrixFormat.Dat)]
    [InlineData("a.DAT", ImportanceMatrixFormat.Dat)]
    [InlineData("a.imatrix", ImportanceMatrixFormat.Gguf)]
    [InlineData("a.gguf", ImportanceMatrixFormat.Gguf)]
    public void ChoosesTheFormatByExtension(string path, ImportanceMatrixFormat expected) =>
        Assert.Equal(expected, ImportanceMatrixFiles.FormatOf(path));

    [Theory]
    [InlineData("/out/m.dat", null, "/out/m.dat", ImportanceMatrixFormat.Dat)]
    [InlineData("/out/m.dat", ImportanceMatrixFormat.Gguf, "/out/m.dat", ImportanceMatrixFormat.Gguf)]
    [InlineData(null, null, "/models/model-f16.imatrix.gguf", ImportanceMatrixFormat.Gguf)]
    [InlineData(null, ImportanceMatrixFormat.Dat, "/models/model-f16.imatrix.dat", ImportanceMatrixFormat.Dat)]
    public void TheOutputIsTheGivenFileOrTheModelsAndItsFormatTheGivenOneOrTheExtensions(string? output, ImportanceMatrixFormat? format, string expectedPath, ImportanceMatrixFormat expectedFormat)
    {
        var (path, chosen) = ImportanceMatrixFiles.Output(output, "/models/model-f16.gguf", format);
        Assert.Equal(output ?? Path.GetFullPath(expectedPath), path);
        Assert.Equal(expectedFormat, chosen);
    }

    [Fact]
    public void WithoutAnOutputOrAModelThereIsNoName() =>
        Assert.Throws<ArgumentNullException>(() => ImportanceMatrixFiles.Output(null, null, null));
}
