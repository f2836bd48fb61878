namespace GgufPs.Evaluation;

/// <summary>
/// Collects, token by token, the sums llama-perplexity --kl-divergence keeps (kl_divergence_result), plus every
/// token's KLD and Δp for the median and percentiles.
/// </summary>
internal sealed class KlDivergenceAccumulator
{
    private readonly object _gate = new();
    private readonly List<float> _kld = [];
    private readonly List<float> _deltaP = [];
    private double _sumNll, _sumNll2, _sumNllBase, _sumNllBase2, _sumNllNllBase;
    private double _sumKld, _sumKld2, _sumDeltaP, _sumDeltaP2, _sumDeltaP4;
    private long _sameTop, _count;

    public long Count => _count;

    public double SumNll => _sumNll;

    /// <summary>One position against exact reference logits (the one-pass mode): the full sum over the vocabulary.</summary>
    public void Add(ReadOnlySpan<float> logits, ReadOnlySpan<float> reference, int token)
    {
        var (max, imax, logSumExp) = Normalizer(logits);
        var (refMax, refImax, refLogSumExp) = Normalizer(reference);
        float nll = max + logSumExp - logits[token];
        float nllBase = refMax + refLogSumExp - reference[token];
        double kld = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            float logBase = reference[i] - refMax - refLogSumExp;
            float logQ = logits[i] - max - logSumExp;
            kld += MathF.Exp(logBase) * (logBase - logQ);
        }
        Record(nll, nllBase, kld, imax == refImax);
    }

    /// <summary>One position against a row of llama.cpp's quantized reference log-probabilities, exactly as its log_softmax.</summary>
    public void Add(ReadOnlySpan<float> logits, ReadOnlySpan<ushort> referenceRow, int token)
    {
        var (max, imax, logSumExp) = Normalizer(logits);
        float scale = TokenLogProbabilities.ReadFloat(referenceRow, 0);
        float minLogProb = TokenLogProbabilities.ReadFloat(referenceRow, 2);
        var baseLogProb = referenceRow[4..];
        float nll = max + logSumExp - logits[token];
        float nllBase = -(scale * baseLogProb[token] + minLogProb);
        float shifted = max + logSumExp;
        double sum = 0;
        int imaxBase = -1;
        float maxBase = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            float pLogBase = scale * baseLogProb[i] + minLogProb;
            if (i == 0 || pLogBase > maxBase)
            {
                maxBase = pLogBase;
                imaxBase = i;
            }
            if (pLogBase > -16f)
            {
                float pBase = MathF.Exp(pLogBase);
                sum += pBase * (pLogBase - logits[i] + shifted);
            }
        }
        Record(nll, nllBase, sum, imax == imaxBase);
    }

    private static (float Max, int Imax, float LogSumExp) Normalizer(ReadOnlySpan<float> logits)
    {
        float max = logits[0];
        int imax = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > max)
            {
                max = logits[i];
                imax = i;
            }
        }
        double sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            sum += MathF.Exp(logits[i] - max);
        }
        return (max, imax, (float)Math.Log(sum));
    }

    private void Record(float nll, float nllBase, double kld, bool sameTop)
    {
        float pBase = MathF.Exp(-nllBase);
        float p = MathF.Exp(-nll);
        float deltaP = p - pBase;
        double deltaP2 = deltaP * deltaP;
        lock (_gate)
        {
            _sumNll += nll;
            _sumNll2 += nll * nll;
            _sumNllBase += nllBase;
            _sumNllBase2 += nllBase * nllBase;
            _sumNllNllBase += nll * nllBase;
            _sumKld += kld;
            _sumKld2 += kld * kld;
            _sumDeltaP += deltaP;
            _sumDeltaP2 += deltaP2;
            _sumDeltaP4 += deltaP2 * deltaP2;
            if (sameTop)
            {
                _sameTop++;
            }
            _count++;
            _kld.Add((float)kld);
            _deltaP.Add(deltaP);
        }
    }

    public KlDivergenceResult ToResult(string reference)
    {
        var (logPpl, logPplUnc) = MeanAndUncertainty(_sumNll, _sumNll2, _count);
        var (logPplBase, logPplBaseUnc) = MeanAndUncertainty(_sumNllBase, _sumNllBase2, _count);
        double covariance = _count < 10 ? 0.0 : (_sumNllNllBase / _count - _sumNll / _count * (_sumNllBase / _count)) / (_count - 1);
        var (kld, kldUnc) = MeanAndUncertainty(_sumKld, _sumKld2, _count);
        var (deltaPMean, _) = MeanAndUncertainty(_sumDeltaP, _sumDeltaP2, _count);
        var (mse, mseUnc) = MeanAndUncertainty(_sumDeltaP2, _sumDeltaP4, _count);
        double rms = Math.Sqrt(mse);
        double sameTop = _count == 0 ? 0 : 1.0 * _sameTop / _count;
        var sorted = _kld.ToArray();
        Array.Sort(sorted);
        double median = sorted.Length == 0 ? 0 : sorted.Length % 2 == 0
            ? 0.5f * (sorted[sorted.Length / 2] + sorted[sorted.Length / 2 - 1])
            : sorted[sorted.Length / 2];
        var percentiles = new Dictionary<double, double>();
        foreach (double percent in new[] { 99.9, 99.0, 95.0, 90.0, 10.0, 5.0, 1.0, 0.1 })
        {
            percentiles[percent] = Percentile(sorted, (float)(percent / 100));
        }
        return new KlDivergenceResult
        {
            Reference = reference,
            Tokens = _count,
            ReferencePerplexity = Math.Exp(logPplBase),
            ReferenceStandardError = Math.Exp(logPplBase) * logPplBaseUnc,
            LnPerplexityRatio = logPpl - logPplBase,
            LnPerplexityRatioUncertainty = Math.Sqrt(Math.Max(0, logPplUnc * logPplUnc + logPplBaseUnc * logPplBaseUnc - 2.0 * covariance)),
            Correlation = logPplUnc * logPplBaseUnc == 0 ? 0 : covariance / (logPplUnc * logPplBaseUnc),
            MeanKlDivergence = kld,
            MeanKlDivergenceUncertainty = kldUnc,
            MedianKlDivergence = median,
            MaximumKlDivergence = sorted.Length == 0 ? 0 : sorted[^1],
            KlDivergencePercentiles = percentiles,
            MeanDeltaP = deltaPMean,
            RmsDeltaP = rms,
            RmsDeltaPUncertainty = rms == 0 ? 0 : 0.5 / rms * mseUnc,
            SameTopTokenPercent = 100.0 * sameTop,
            SameTopTokenUncertainty = _count < 2 ? 0 : 100.0 * Math.Sqrt(sameTop * (1 - sameTop) / (_count - 1)),
        };
    }

    /// <summary>The mean and its standard error as llama.cpp's mean_and_uncertainty (zero error below 11 values).</summary>
    private static (double Mean, double Uncertainty) MeanAndUncertainty(double sum, double sum2, long count)
    {
        if (count < 1)
        {
            return (0, 0);
        }
        double f = sum / count;
        double df = sum2 / count - f * f;
        df = df > 0 && count > 10 ? Math.Sqrt(df / (count - 1)) : 0;
        return (f, df);
    }

    private static double Percentile(float[] values, float fraction)
    {
        if (values.Length == 0)
        {
            return 0;
        }
        if (fraction <= 0)
        {
            return values[0];
        }
        if (fraction >= 1)
        {
            return values[^1];
        }
        float p = fraction * (values.Length - 1);
        int ip = (int)p;
        p -= ip;
        return (1 - p) * values[ip] + p * values[Math.Min(ip + 1, values.Length - 1)];
    }
}
