namespace GgufPs.Evaluation;

/// <summary>Where a throughput measurement is: the test (pp512, tg128), its thread count, and the runs done of it.</summary>
public readonly record struct ThroughputProgress(string Test, int Threads, int RepetitionsDone, int Repetitions)
{
    public int PercentComplete => Repetitions == 0 ? 100 : (int)(100L * RepetitionsDone / Repetitions);
}
