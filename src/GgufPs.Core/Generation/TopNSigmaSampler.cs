namespace GgufPs.Generation;

/// <summary>
/// llama.cpp's top-n-sigma sampler: logits below max - n·σ become -inf, with the mean and σ taken over the logits
/// that are not -inf (σ accumulated in double per term, as llama.cpp's pow() promotes it).
/// </summary>
internal sealed class TopNSigmaSampler(float n) : Sampler
{
    public override string Name => "top-n-sigma";

    public override void Apply(TokenCandidates candidates)
    {
        var items = candidates.Items;
        if (n <= 0f || items.Length <= 1)
        {
            return;
        }
        float max = items[0].Logit;
        float sum = 0f;
        long valid = 0;
        for (int i = 0; i < items.Length; i++)
        {
            float logit = items[i].Logit;
            if (logit != float.NegativeInfinity)
            {
                max = max < logit ? logit : max;
                sum += logit;
                valid++;
            }
        }
        float mean = valid > 0 ? sum / valid : 0f;
        float accumulated = 0f;
        for (int i = 0; i < items.Length; i++)
        {
            float logit = items[i].Logit;
            if (logit != float.NegativeInfinity)
            {
                double deviation = logit - mean;
                accumulated = (float)(accumulated + deviation * deviation);
            }
        }
        float sigma = valid > 0 ? MathF.Sqrt(accumulated / valid) : 0f;
        float threshold = max - n * sigma;
        for (int i = 0; i < items.Length; i++)
        {
            if (items[i].Logit < threshold)
            {
                items[i].Logit = float.NegativeInfinity;
            }
        }
    }
}
