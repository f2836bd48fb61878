using GgufPs.Inference;

namespace GgufPs.Tests.Inference;

/// <summary>The decode step's worker team runs every item once, on distinct workers at a time, and passes errors back.</summary>
public class WorkerTeamTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void EveryItemRunsOnceInEveryLoop(int size)
    {
        using var team = new WorkerTeam(size);
        for (int loop = 0; loop < 2000; loop++)
        {
            int count = 1 + loop % 37;
            var runs = new int[count];
            var busy = new int[team.Size];
            team.Run(count, (item, worker) =>
            {
                Assert.InRange(worker, 0, team.Size - 1);
                Assert.Equal(1, Interlocked.Increment(ref busy[worker]));
                Interlocked.Increment(ref runs[item]);
                Interlocked.Decrement(ref busy[worker]);
            });
            Assert.All(runs, r => Assert.Equal(1, r));
            if (loop % 500 == 0)
            {
                // Long enough for the helpers to stop spinning and sleep: the next loop must wake them.
                Thread.Sleep(5);
            }
        }
    }

    [Fact]
    public void AnItemsExceptionComesBackAndTheTeamGoesOn()
    {
        using var team = new WorkerTeam(2);
        var error = Assert.Throws<InvalidOperationException>(() => team.Run(50, (item, _) =>
        {
            if (item == 17)
            {
                throw new InvalidOperationException("item 17");
            }
        }));
        Assert.Equal("item 17", error.Message);
        int total = 0;
        team.Run(10, (item, _) => Interlocked.Add(ref total, item));
        Assert.Equal(45, total);
    }

    [Fact]
    public void ADisposedTeamRefusesWork()
    {
        var team = new WorkerTeam(2);
        team.Dispose();
        team.Dispose();
        Assert.Throws<ObjectDisposedException>(() => team.Run(3, (_, _) => { }));
    }
}
