using GgufPs.Quantization;
using GgufPs.Oracle;

namespace GgufPs.Tests.Quantization;

/// <summary>Runs our quantizer and llama_model_quantize on the same input and says where the outputs differ.</summary>
internal static class ModelComparison
{
    public static QuantizationPlan Quantize(string input, string output, QuantizationOptions options)
    {
        using var file = GgufFile.Open(input);
        var plan = QuantizationPlanner.Create(file, options);
        ModelQuantizer.Run(plan, output, overwrite: true, threads: 2);
        return plan;
    }

    public static LlamaModelQuantizeParams OracleParameters(QuantizationOptions options)
    {
        var p = LlamaCppOracle.DefaultQuantizeParams();
        p.NThread = 2;
        p.FType = (int)options.Preset.FileType;
        p.OnlyCopy = options.Preset.IsCopy ? (byte)1 : (byte)0;
        p.Pure = options.Pure ? (byte)1 : (byte)0;
        p.QuantizeOutputTensor = options.LeaveOutputTensor ? (byte)0 : (byte)1;
        p.AllowRequantize = options.AllowRequantize ? (byte)1 : (byte)0;
        p.OutputTensorType = options.OutputTensorType is { } o ? (int)o : LlamaCppOracle.GgmlTypeCount;
        p.TokenEmbeddingType = options.TokenEmbeddingType is { } t ? (int)t : LlamaCppOracle.GgmlTypeCount;
        return p;
    }

    /// <summary>llama-quantize's own way of passing an importance matrix, its overrides and --override-kv.</summary>
    public static uint QuantizeWithLlamaCpp(string input, string output, QuantizationOptions options)
    {
        var p = OracleParameters(options);
        Dictionary<string, float[]>? imatrix = null;
        var metadata = options.MetadataOverrides.Select(kv => (kv.Key, kv.Value)).ToList();
        if (options.ImportanceMatrix is { } matrix)
        {
            var filtered = matrix.Filter(options.IncludeWeights, options.ExcludeWeights);
            imatrix = filtered.TensorNames.ToDictionary(n => n, n => { filtered.TryGetWeights(n, out var w); return w; });
            metadata.Add(("quantize.imatrix.file", matrix.Path));
            if (matrix.Datasets.Count > 0)
            {
                metadata.Add(("quantize.imatrix.dataset", matrix.Datasets[0]));
            }
            metadata.Add(("quantize.imatrix.entries_count", (long)filtered.Count));
            if (matrix.ChunkCount > 0)
            {
                metadata.Add(("quantize.imatrix.chunks_count", (long)matrix.ChunkCount));
            }
        }
        // llama-quantize lower-cases the pattern of --tensor-type before handing it to llama_model_quantize.
        var tensorTypes = options.TensorTypes.Select(kv => (kv.Key.ToLowerInvariant(), kv.Value)).ToList();
        return LlamaCppOracle.QuantizeModel(input, output, p, imatrix, tensorTypes, metadata);
    }

    /// <summary>Fails with the first difference: header, metadata entry, tensor info or tensor data.</summary>
    public static void AssertSameFile(string expectedPath, string actualPath, string what)
    {
        var expected = File.ReadAllBytes(expectedPath);
        var actual = File.ReadAllBytes(actualPath);
        if (expected.AsSpan().SequenceEqual(actual))
        {
            return;
        }
        using var e = GgufFile.Open(expectedPath);
        using var a = GgufFile.Open(actualPath);
        var eKeys = e.Metadata.Select(m => $"{m.Key}:{m.ValueType}:{m.DisplayValue}").ToList();
        var aKeys = a.Metadata.Select(m => $"{m.Key}:{m.ValueType}:{m.DisplayValue}").ToList();
        for (int i = 0; i < Math.Max(eKeys.Count, aKeys.Count); i++)
        {
            string ek = i < eKeys.Count ? eKeys[i] : "(none)";
            string ak = i < aKeys.Count ? aKeys[i] : "(none)";
            Assert.True(ek == ak, $"{what}: metadata entry {i}: llama.cpp {ek}, ours {ak}");
        }
        for (int i = 0; i < Math.Max(e.Tensors.Count, a.Tensors.Count); i++)
        {
            Assert.True(i < e.Tensors.Count && i < a.Tensors.Count, $"{what}: tensor counts differ ({e.Tensors.Count} vs {a.Tensors.Count})");
            var et = e.Tensors[i];
            var at = a.Tensors[i];
            Assert.True(et.ToString() == at.ToString(), $"{what}: tensor {i}: llama.cpp {et}, ours {at}");
            var ed = e.GetTensorData(et);
            var ad = a.GetTensorData(at);
            int diff = ed.CommonPrefixLength(ad);
            Assert.True(diff == ed.Length && ed.Length == ad.Length, $"{what}: tensor {et.Name} ({et.TypeName}) differs at byte {diff} of {ed.Length}");
        }
        Assert.Fail($"{what}: files differ ({expected.Length} vs {actual.Length} bytes) outside metadata and tensor data (layout or padding).");
    }
}
