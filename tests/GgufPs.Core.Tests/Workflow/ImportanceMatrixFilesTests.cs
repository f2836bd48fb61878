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
}
