namespace GgufPs.Tests.Inference;

/// <summary>How far our logits are from the oracle's: largest absolute difference, and positions whose top token differs.</summary>
internal readonly record struct LogitComparison(double MaxAbsDifference, double MaxAbsLogit, int ArgmaxMismatches, int Positions)
{
    public static LogitComparison Compare(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, int vocabulary)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxDiff = 0, maxLogit = 0;
        int mismatches = 0;
        int positions = expected.Length / vocabulary;
        for (int p = 0; p < positions; p++)
        {
            var e = expected.Slice(p * vocabulary, vocabulary);
            var a = actual.Slice(p * vocabulary, vocabulary);
            int ea = 0, aa = 0;
            for (int i = 0; i < vocabulary; i++)
            {
                maxDiff = Math.Max(maxDiff, Math.Abs(e[i] - a[i]));
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
            // A tie within rounding is not a real disagreement.
            if (ea != aa && Math.Abs(e[ea] - e[aa]) > 1e-3)
            {
                mismatches++;
            }
        }
        return new LogitComparison(maxDiff, maxLogit, mismatches, positions);
    }

    public override string ToString() => $"max |Δ| {MaxAbsDifference:G3} (max |logit| {MaxAbsLogit:G3}), argmax mismatches {ArgmaxMismatches}/{Positions}";
}
