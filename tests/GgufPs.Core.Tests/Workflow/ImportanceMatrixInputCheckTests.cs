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

    [Fact]
    public void AMergeAloneRefusesTheFirstComputingParameterGiven()
    {
        Assert.StartsWith("-Threads applies to computing", ImportanceMatrixInputCheck.Problem(false, false, true, true, ["Merge", "OutputPath", "Threads", "NoPerplexity"]));
        Assert.Null(ImportanceMatrixInputCheck.Problem(false, false, true, true, ["Merge", "OutputPath", "Context", "Format", "Statistics"]));
    }

    [Fact]
    public void AComputationTakesTheComputingParameters() =>
        Assert.Null(ImportanceMatrixInputCheck.Problem(true, true, false, false, ImportanceMatrixInputCheck.ComputeOnlyParameters));

    [Fact]
    public void TheMissingInputComesBeforeAComputingParameter() =>
        Assert.StartsWith("Merging importance matrices without a model needs -OutputPath", ImportanceMatrixInputCheck.Problem(false, false, true, false, ["Chunks"]));
}
