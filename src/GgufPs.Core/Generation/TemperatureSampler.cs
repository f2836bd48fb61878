namespace GgufPs.Generation;

/// <summary>
/// llama.cpp's temp-ext sampler: the logits divided by the temperature or, with a dynamic range (delta &gt; 0), by a
/// temperature between temp ± delta chosen from the normalised entropy of the candidates.
/// </summary>
internal sealed class TemperatureSampler(float temperature, float delta, float exponent) : Sampler
{
    public override string Name => "temp-ext";

    public override void Apply(TokenCandidates candidates)
    {
        if (delta <= 0f)
        {
            candidates.ScaleByTemperature(temperature);
            return;
        }
        float minTemperature = 0f < temperature - delta ? temperature - delta : 0f;
        float maxTemperature = temperature + delta;
        if (candidates.Size <= 1)
        {
            return;
        }
        float maxEntropy = -MathF.Log(1f / candidates.Size);
        candidates.Softmax(sort: true);
        var items = candidates.Items;
        float entropy = 0f;
        for (int i = 0; i < items.Length; i++)
        {
            float p = items[i].P;
            if (p > 0f)
            {
                entropy -= p * MathF.Log(p);
            }
        }
        float normalized = entropy / maxEntropy;
        float dynamicTemperature = minTemperature + (maxTemperature - minTemperature) * MathF.Pow(normalized, exponent);
        candidates.ScaleByTemperature(dynamicTemperature);

        double max = items[0].Logit;
        double sum = 0.0;
        for (int i = 0; i < items.Length; i++)
        {
            double p = Math.Exp(items[i].Logit - max);
            items[i].P = (float)p;
            sum += p;
        }
        for (int i = 0; i < items.Length; i++)
        {
            items[i].P = (float)(items[i].P / sum);
        }
    }
}
