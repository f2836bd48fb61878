using System.Runtime.InteropServices;

namespace GgufPs.Oracle;

/// <summary>
/// llama-imatrix's computation replayed over the oracle: the same chunks as perplexity (BOS first), llama_decode with
/// outputs at every position, and llama.cpp's eval callback (cb_eval) reading the input of every MUL_MAT whose weight
/// is a block tensor (or output.weight) over at least 16 rows. The sums of squares are taken here, in double, from the
/// activations llama.cpp computed, so they are an independent reference for ours.
/// </summary>
internal static unsafe class LlamaCppImatrix
{
    /// <param name="Seconds">Time spent in llama_decode and the callback, for the benchmark.</param>
    public sealed record Result(Dictionary<string, double[]> Sums, Dictionary<string, long> Counts, double Perplexity, double Seconds);

    private static readonly Lazy<(int MulMat, int MulMatId)> Ops = new(() =>
    {
        LlamaNative.EnsureLoaded();
        int mulMat = -1, mulMatId = -1;
        for (int op = 0; op < 128; op++)
        {
            string? name = Marshal.PtrToStringUTF8(LlamaNative.ggml_op_name(op));
            if (name == "MUL_MAT")
            {
                mulMat = op;
            }
            else if (name == "MUL_MAT_ID")
            {
                mulMatId = op;
            }
        }
        return (mulMat, mulMatId);
    });

    public static Result Compute(string modelPath, byte[] text, int context, int chunks, bool processOutput = false, int threads = 2)
    {
        var collector = new Collector(processOutput, Ops.Value.MulMat, Ops.Value.MulMatId);
        var handle = GCHandle.Alloc(collector);
        try
        {
            using var model = LlamaCppOracle.LoadModel(modelPath, context, threads, vocabOnly: false,
                evalCallback: (IntPtr)(delegate* unmanaged<IntPtr, byte, IntPtr, byte>)&Callback, evalCallbackUserData: GCHandle.ToIntPtr(handle))
                ?? throw new InvalidOperationException($"llama.cpp could not load '{modelPath}'.");
            int[] tokens = model.TokenizeBytes(text, addSpecial: true, parseSpecial: false);
            int bos = LlamaNative.llama_vocab_bos(model.Vocab);
            bool addBos = model.AddsBos();
            int vocabulary = model.VocabularySize;
            chunks = Math.Min(chunks, tokens.Length / context);
            int first = context / 2;
            double nll = 0;
            long count = 0;
            var clock = new System.Diagnostics.Stopwatch();
            for (int chunk = 0; chunk < chunks; chunk++)
            {
                int[] batch = tokens[(chunk * context)..((chunk + 1) * context)];
                if (addBos)
                {
                    batch[0] = bos;
                }
                clock.Start();
                float[] logits = model.EvaluateAll(batch);
                clock.Stop();
                if (collector.Error is { } error)
                {
                    throw new InvalidOperationException("The eval callback failed: " + error);
                }
                for (int j = first; j < context - 1; j++)
                {
                    var row = logits.AsSpan(j * vocabulary, vocabulary);
                    float max = float.NegativeInfinity;
                    foreach (float l in row)
                    {
                        max = Math.Max(max, l);
                    }
                    double sum = 0;
                    foreach (float l in row)
                    {
                        sum += MathF.Exp(l - max);
                    }
                    nll += -((row[tokens[chunk * context + j + 1]] - max) - Math.Log(sum));
                    count++;
                }
            }
            return new Result(collector.Sums, collector.Counts, Math.Exp(nll / count), clock.Elapsed.TotalSeconds);
        }
        finally
        {
            handle.Free();
        }
    }

    [UnmanagedCallersOnly]
    private static byte Callback(IntPtr tensor, byte ask, IntPtr userData)
    {
        var collector = (Collector)GCHandle.FromIntPtr(userData).Target!;
        try
        {
            return collector.Handle(tensor, ask != 0) ? (byte)1 : (byte)0;
        }
        catch (Exception ex)
        {
            collector.Error ??= ex.ToString();
            return ask != 0 ? (byte)0 : (byte)1;
        }
    }

    private sealed class Collector(bool processOutput, int mulMat, int mulMatId)
    {
        public Dictionary<string, double[]> Sums { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, long> Counts { get; } = new(StringComparer.Ordinal);

        public string? Error { get; set; }

        public bool Handle(IntPtr t, bool ask)
        {
            int op = GgmlTensorLayout.OpOf(t);
            if (op == mulMatId)
            {
                throw new NotSupportedException("MUL_MAT_ID: the reference handles dense models only.");
            }
            if (op != mulMat)
            {
                return false;
            }
            IntPtr weight = GgmlTensorLayout.SrcOf(t, 0);
            IntPtr input = GgmlTensorLayout.SrcOf(t, 1);
            string name = GgmlTensorLayout.NameOf(weight);
            // A backend may decorate names as BACKEND#name#n.
            if (name.Contains('#'))
            {
                name = name.Split('#')[1];
            }
            if (ask)
            {
                return GgmlTensorLayout.Ne(input, 1) >= 16 && GgmlTensorLayout.TypeOf(input) == 0
                    && (name.StartsWith("blk.", StringComparison.Ordinal) || (processOutput && name == "output.weight"));
            }
            long columns = GgmlTensorLayout.Ne(input, 0);
            if (GgmlTensorLayout.Nb(input, 0) != sizeof(float))
            {
                throw new InvalidDataException($"{name}: input is not contiguous in its rows.");
            }
            if (!Sums.TryGetValue(name, out var sums))
            {
                sums = new double[columns];
                Sums[name] = sums;
            }
            byte* data = (byte*)GgmlTensorLayout.DataOf(input);
            long rows = 0;
            for (long i3 = 0; i3 < GgmlTensorLayout.Ne(input, 3); i3++)
            {
                for (long i2 = 0; i2 < GgmlTensorLayout.Ne(input, 2); i2++)
                {
                    for (long r = 0; r < GgmlTensorLayout.Ne(input, 1); r++)
                    {
                        float* x = (float*)(data + r * GgmlTensorLayout.Nb(input, 1) + i2 * GgmlTensorLayout.Nb(input, 2) + i3 * GgmlTensorLayout.Nb(input, 3));
                        for (long j = 0; j < columns; j++)
                        {
                            sums[j] += (double)x[j] * x[j];
                        }
                        rows++;
                    }
                }
            }
            Counts[name] = Counts.GetValueOrDefault(name) + rows;
            return true;
        }
    }
}
