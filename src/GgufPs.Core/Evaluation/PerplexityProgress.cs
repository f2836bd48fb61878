namespace GgufPs.Evaluation;

/// <summary>Where a perplexity measurement stands after a chunk.</summary>
public readonly record struct PerplexityProgress(int ChunksDone, int Chunks, double RunningPerplexity, TimeSpan Elapsed)
{
    public TimeSpan EstimatedRemaining => ChunksDone == 0 ? TimeSpan.Zero : Elapsed / ChunksDone * (Chunks - ChunksDone);

    public int PercentComplete => Chunks == 0 ? 100 : (int)(100L * ChunksDone / Chunks);
}
