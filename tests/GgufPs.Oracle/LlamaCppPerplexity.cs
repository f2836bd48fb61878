namespace GgufPs.Oracle;

/// <summary>
/// llama-perplexity's perplexity() replayed over the oracle: llama_tokenize with BOS, chunks of n_ctx with BOS as
/// their first token, llama_decode of each chunk, and the negative log-likelihood of the second half.
/// </summary>
internal static class LlamaCppPerplexity
{
    public sealed record Result(double Perplexity, double MeanNll, double[] Running, int[] Tokens);

    public static Result Measure(string modelPath, byte[] text, int context, int chunks, int threads = 2)
    {
        using var model = LlamaCppOracle.LoadModel(modelPath, context, threads)
            ?? throw new InvalidOperationException($"llama.cpp could not load '{modelPath}'.");
        int[] tokens = model.TokenizeBytes(text, addSpecial: true, parseSpecial: false);
        int vocabulary = model.VocabularySize;
        bool addBos = model.AddsBos();
        int bos = LlamaNative.llama_vocab_bos(model.Vocab);
        chunks = Math.Min(chunks, tokens.Length / context);
        int first = context / 2;
        double nll = 0;
        long count = 0;
        var running = new List<double>();
        for (int chunk = 0; chunk < chunks; chunk++)
        {
            int[] batch = tokens[(chunk * context)..((chunk + 1) * context)];
            if (addBos)
            {
                batch[0] = bos;
            }
            float[] logits = model.EvaluateAll(batch);
            for (int j = first; j < context - 1; j++)
            {
                var row = logits.AsSpan(j * vocabulary, vocabulary);
                int next = tokens[chunk * context + j + 1];
                float max = row[0];
                foreach (float l in row)
                {
                    max = Math.Max(max, l);
                }
                double sum = 0;
                foreach (float l in row)
                {
                    sum += MathF.Exp(l - max);
                }
                nll += -((row[next] - max) - Math.Log(sum));
                count++;
            }
            running.Add(Math.Exp(nll / count));
        }
        return new Result(Math.Exp(nll / count), nll / count, running.ToArray(), tokens);
    }
}
