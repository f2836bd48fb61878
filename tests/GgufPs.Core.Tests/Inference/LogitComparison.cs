namespace GgufPs.Tests.Inference;

/// <summary>
/// How far our logits are from the oracle's: the largest absolute difference, how many positions differ by more
/// than 1e-4, and at how many positions our top token is one the oracle ranks below its own by more than twice the
/// largest difference at that position (closer calls can flip by rounding alone).
/// </summary>
internal readonly record struct LogitComparison(double MaxAbsDifference, double MaxAbsLogit, int PositionsDiffering, int ArgmaxMismatches, int Positions)
{
    public static LogitComparison Compare(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, int vocabulary)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxDiff = 0, maxLogit = 0;
        int mismatches = 0, differing = 0;
        int positions = expected.Length / vocabulary;
        for (int p = 0; p < positions; p++)
        {
            var e = expected.Slice(p * vocabulary, vocabulary);
            var a = actual.Slice(p * vocabulary, vocabulary);
            int ea = 0, aa = 0;
            double positionDiff = 0;
            for (int i = 0; i < vocabulary; i++)
            {
                positionDiff = Math.Max(positionDiff, Math.Abs(e[i] - a[i]));
                maxLogit = Math.Max(maxLogit, Math.Abs(e[i]));
                if (e[i] > e[ea])
                {
                    ea = i;
                }
                if (a[i] > a[aa])
                {
                    aa = i;
                }
            }
            maxDiff = Math.Max(maxDiff, positionDiff);
            if (positionDiff > 1e-4)
            {
                differing++;
            }
            if (ea != aa && e[ea] - e[aa] > 2 * positionDiff)
            {
                mismatches++;
            }
        }
        return new LogitComparison(maxDiff, maxLogit, differing, mismatches, positions);
    }

    public override string ToString() =>
        $"max |Δ| {MaxAbsDifference:G3} (max |logit| {MaxAbsLogit:G3}), {PositionsDiffering}/{Positions} positions differ by > 1e-4, argmax mismatches {ArgmaxMismatches}";
}
