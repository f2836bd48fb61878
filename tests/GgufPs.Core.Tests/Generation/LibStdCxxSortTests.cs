using GgufPs.Generation;

namespace GgufPs.Tests.Generation;

/// <summary>The order itself is held to llama.cpp's by the sampler oracle tests (ties); these check the sorts sort.</summary>
public class LibStdCxxSortTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(1000)]
    [InlineData(100000)]
    public void SortOrdersEveryElement(int n)
    {
        var random = new Random(n);
        int[] values = Enumerable.Range(0, n).Select(_ => random.Next(n / 3 + 1)).ToArray();
        int[] expected = values.Order().ToArray();
        LibStdCxxSort.Sort(values.AsSpan(), default(Ascending));
        Assert.Equal(expected, values);
    }

    [Fact]
    public void SortSurvivesAdversarialInputThroughTheHeapsortFallback()
    {
        // Organ-pipe and sawtooth inputs drive median-of-three quicksort deep, exercising the depth limit.
        int n = 50000;
        int[] values = Enumerable.Range(0, n).Select(i => i < n / 2 ? i : n - i).ToArray();
        int[] expected = values.Order().ToArray();
        LibStdCxxSort.Sort(values.AsSpan(), default(Ascending));
        Assert.Equal(expected, values);
    }

    [Theory]
    [InlineData(10, 1)]
    [InlineData(10, 10)]
    [InlineData(5000, 40)]
    public void PartialSortPutsTheSmallestFirstInOrder(int n, int middle)
    {
        var random = new Random(middle);
        int[] values = Enumerable.Range(0, n).Select(_ => random.Next(1000)).ToArray();
        int[] expected = values.Order().Take(middle).ToArray();
        LibStdCxxSort.PartialSort(values.AsSpan(), middle, default(Ascending));
        Assert.Equal(expected, values[..middle]);
    }

    private readonly struct Ascending : IOrdering<int>
    {
        public bool Before(in int a, in int b) => a < b;
    }
}
