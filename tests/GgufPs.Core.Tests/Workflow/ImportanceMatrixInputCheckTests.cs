using GgufPs.Workflow;

namespace GgufPs.Tests.Workflow;

public class ImportanceMatrixInputCheckTests
{
    [Theory]
    [InlineData(true, true, false, false, null)]
    [InlineData(true, true, true, true, null)]
    [InlineData(false, false, true, true, null)]
    [InlineData(false, false, false, false, "Give the model with -Path")]
    [InlineData(false, true, true, true, "Give the model with -Path")]
    [InlineData(false, false, true, false, "needs -OutputPath")]
    [InlineData(true, false, false, false, "Give the calibration text")]
    public void NamesWhatIsMissing(bool model, bool text, bool merge, bool output, string? expected)
    {
        string? problem = ImportanceMatrixInputCheck.Problem(model, text, merge, output);
        if (expected is null)
        {
            Assert.Null(problem);
        }
        else
        {
            Assert.Contains(expected, problem);
        }
    }

    [Fact]
    public void AMergeRefusesAComputingParameterByName() =>
        Assert.StartsWith("-Chunks applies to computing", ImportanceMatrixInputCheck.MergeDoesNotTake("Chunks"));
}
