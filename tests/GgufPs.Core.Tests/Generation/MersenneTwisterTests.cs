using GgufPs.Generation;

namespace GgufPs.Tests.Generation;

public class MersenneTwisterTests
{
    /// <summary>The C++ standard ([rand.predef]): the 10000th output of a default-constructed mt19937 (seed 5489) is 4123659995.</summary>
    [Fact]
    public void TenThousandthOutputIsTheStandardsValue()
    {
        var random = new MersenneTwister(5489);
        uint value = 0;
        for (int i = 0; i < 10000; i++)
        {
            value = random.Next();
        }
        Assert.Equal(4123659995u, value);
    }

    [Fact]
    public void CanonicalDrawsCombineTwoOutputsBelowOne()
    {
        var a = new MersenneTwister(42);
        var b = new MersenneTwister(42);
        uint low = b.Next();
        uint high = b.Next();
        Assert.Equal((low + high * 4294967296.0) / 18446744073709551616.0, a.NextDouble());
        Assert.Equal(b.Next() / 4294967296f, a.NextSingle());
    }

    [Fact]
    public void ReseedingRestartsTheStream()
    {
        var random = new MersenneTwister(7);
        uint first = random.Next();
        random.Next();
        random.Seed(7);
        Assert.Equal(first, random.Next());
    }
}
