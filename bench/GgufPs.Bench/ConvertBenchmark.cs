using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using GgufPs.Conversion;

namespace GgufPs.Bench;

/// <summary>
/// Conversion throughput: a Hugging Face llama folder of a few hundred MB (BF16 and F16 safetensors, the Llama-2
/// tokenizer) converted to GGUF from the page cache, in source bytes per second.
/// </summary>
internal static class ConvertBenchmark
{
    private const int Hidden = 2048, Intermediate = 5632, Layers = 4, Heads = 32, KvHeads = 8, Vocab = 32000;

    public static void Run(string work, string tokenizerModel)
    {
        Console.WriteLine($"convert: llama {Hidden}/{Intermediate}, {Layers} layers, {Heads}/{KvHeads} heads, vocabulary {Vocab}, from the page cache");
        Console.WriteLine("| source | output | source MB | best of 5 | median of 5 | throughput (best) |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var (storage, output) in new[]
        {
            (SafetensorsDataType.BF16, ConversionOutputType.F16),
            (SafetensorsDataType.BF16, ConversionOutputType.BF16),
            (SafetensorsDataType.F16, ConversionOutputType.F16),
            (SafetensorsDataType.BF16, ConversionOutputType.Q8_0),
        })
        {
            string folder = EnsureModel(Path.Combine(work, $"bench-hf-llama-{storage.ToString().ToLowerInvariant()}"), storage, tokenizerModel);
            long sourceBytes = new FileInfo(Path.Combine(folder, "model.safetensors")).Length;
            string target = Path.Combine(work, $"bench-convert-{storage}-to-{output}.gguf");
            var times = new List<double>();
            for (int run = 0; run < 6; run++)
            {
                long start = Stopwatch.GetTimestamp();
                using (var plan = ModelConverter.Plan(folder, new ConversionOptions { OutputType = output, OutputPath = target }))
                {
                    GgufModelWriter.Write(plan, overwrite: true);
                }
                double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                // The first run warms the page cache and the JIT.
                if (run > 0)
                {
                    times.Add(seconds);
                }
            }
            times.Sort();
            double median = times[times.Count / 2];
            Console.WriteLine($"| {storage} safetensors | {output} | {sourceBytes / 1e6:F0} | {times[0]:F3} s | {median:F3} s | {sourceBytes / times[0] / 1e9:F2} GB/s |");
            File.Delete(target);
        }
        string baselineSource = Path.Combine(work, "bench-hf-llama-bf16", "model.safetensors");
        var copies = new List<double>();
        for (int run = 0; run < 6; run++)
        {
            copies.Add(CopyThroughMap(baselineSource, Path.Combine(work, "bench-copy.bin")));
        }
        copies.RemoveAt(0);
        copies.Sort();
        long bytes = new FileInfo(baselineSource).Length;
        Console.WriteLine($"| the same bytes written straight from the memory map to a file (one write per 64 MB, fsync) | - | {bytes / 1e6:F0} | {copies[0]:F3} s | {copies[2]:F3} s | {bytes / copies[0] / 1e9:F2} GB/s |");
    }

    /// <summary>The plainest way to write the source's bytes unchanged: one thread, write() straight from the memory map.</summary>
    private static unsafe double CopyThroughMap(string source, string target)
    {
        long start = Stopwatch.GetTimestamp();
        using (var input = MemoryMappedInput.Open(source))
        using (var output = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            for (long offset = 0; offset < input.Length; offset += 64 << 20)
            {
                output.Write(new ReadOnlySpan<byte>(input.At(offset), (int)Math.Min(64 << 20, input.Length - offset)));
            }
            output.Flush(flushToDisk: true);
        }
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        File.Delete(target);
        return seconds;
    }

    /// <summary>Writes the model folder once; the weights are deterministic finite values with a weight-like spread.</summary>
    private static string EnsureModel(string folder, SafetensorsDataType storage, string tokenizerModel)
    {
        string weights = Path.Combine(folder, "model.safetensors");
        if (File.Exists(weights))
        {
            return folder;
        }
        Directory.CreateDirectory(folder);
        File.Copy(tokenizerModel, Path.Combine(folder, "tokenizer.model"), overwrite: true);
        File.WriteAllText(Path.Combine(folder, "config.json"), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["architectures"] = new[] { "LlamaForCausalLM" },
            ["hidden_size"] = Hidden,
            ["intermediate_size"] = Intermediate,
            ["num_hidden_layers"] = Layers,
            ["num_attention_heads"] = Heads,
            ["num_key_value_heads"] = KvHeads,
            ["vocab_size"] = Vocab,
            ["max_position_embeddings"] = 4096,
            ["rms_norm_eps"] = 1e-5,
            ["rope_theta"] = 10000.0,
            ["bos_token_id"] = 1,
            ["eos_token_id"] = 2,
        }));
        var tensors = new List<(string Name, long[] Shape)> { ("lm_head.weight", [Vocab, Hidden]), ("model.embed_tokens.weight", [Vocab, Hidden]) };
        int kv = Hidden / Heads * KvHeads;
        for (int l = 0; l < Layers; l++)
        {
            string p = $"model.layers.{l}.";
            tensors.Add((p + "input_layernorm.weight", [Hidden]));
            tensors.Add((p + "mlp.down_proj.weight", [Hidden, Intermediate]));
            tensors.Add((p + "mlp.gate_proj.weight", [Intermediate, Hidden]));
            tensors.Add((p + "mlp.up_proj.weight", [Intermediate, Hidden]));
            tensors.Add((p + "post_attention_layernorm.weight", [Hidden]));
            tensors.Add((p + "self_attn.k_proj.weight", [kv, Hidden]));
            tensors.Add((p + "self_attn.o_proj.weight", [Hidden, Hidden]));
            tensors.Add((p + "self_attn.q_proj.weight", [Hidden, Hidden]));
            tensors.Add((p + "self_attn.v_proj.weight", [kv, Hidden]));
        }
        tensors.Add(("model.norm.weight", [Hidden]));
        var header = new Dictionary<string, object>();
        long offset = 0;
        foreach (var (name, shape) in tensors)
        {
            long bytes = shape.Aggregate(1L, (a, b) => a * b) * 2;
            header[name] = new Dictionary<string, object> { ["dtype"] = storage.ToString(), ["shape"] = shape, ["data_offsets"] = new[] { offset, offset + bytes } };
            offset += bytes;
        }
        byte[] json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        string temporary = weights + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            var length = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)json.Length);
            file.Write(length);
            file.Write(json);
            var buffer = new byte[1 << 20];
            ulong state = 0x9E3779B97F4A7C15;
            for (long written = 0; written < offset; written += buffer.Length)
            {
                for (int i = 0; i < buffer.Length; i += 2)
                {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    // Magnitudes between about 2^-10 and 2^-3, either sign: ordinary weights, never NaN or infinite.
                    int exponent = (int)(state >> 60) % 8 + (storage == SafetensorsDataType.BF16 ? 117 : 5);
                    ushort bits = storage == SafetensorsDataType.BF16
                        ? (ushort)(((uint)(state >> 63) << 15) | ((uint)exponent << 7) | (uint)(state & 0x7f))
                        : (ushort)(((uint)(state >> 63) << 15) | ((uint)exponent << 10) | (uint)(state & 0x3ff));
                    BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(i), bits);
                }
                file.Write(buffer, 0, (int)Math.Min(buffer.Length, offset - written));
            }
        }
        File.Move(temporary, weights, overwrite: true);
        return folder;
    }
}
