using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using GgufPs.Conversion;
using GgufPs.Quantization;

namespace GgufPs.Tests.Conversion;

/// <summary>Writes safetensors files (and sharded folders with an index) from F32 values, stored as F32, F16 or BF16.</summary>
internal static class SafetensorsTestWriter
{
    public sealed record Tensor(string Name, long[] Shape, float[] Values, SafetensorsDataType? Type = null, byte[]? Raw = null);

    public static void Write(string path, IEnumerable<Tensor> tensors, SafetensorsDataType type)
    {
        var header = new Dictionary<string, object> { ["__metadata__"] = new Dictionary<string, string> { ["format"] = "pt" } };
        var data = new MemoryStream();
        foreach (var t in tensors)
        {
            byte[] bytes = t.Raw ?? Encode(t.Values, t.Type ?? type);
            header[t.Name] = new Dictionary<string, object>
            {
                ["dtype"] = (t.Type ?? type).ToString(),
                ["shape"] = t.Shape,
                ["data_offsets"] = new[] { data.Length, data.Length + bytes.Length },
            };
            data.Write(bytes);
        }
        byte[] json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        using var file = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)json.Length);
        file.Write(length);
        file.Write(json);
        data.Position = 0;
        data.CopyTo(file);
    }

    /// <summary>Splits the tensors over <paramref name="shards"/> files named like transformers' and writes the index.</summary>
    public static void WriteSharded(string folder, IReadOnlyList<Tensor> tensors, SafetensorsDataType type, int shards)
    {
        var map = new Dictionary<string, string>();
        for (int s = 0; s < shards; s++)
        {
            string name = $"model-{s + 1:00000}-of-{shards:00000}.safetensors";
            var part = tensors.Where((_, i) => i % shards == s).ToList();
            Write(Path.Combine(folder, name), part, type);
            foreach (var t in part)
            {
                map[t.Name] = name;
            }
        }
        File.WriteAllText(Path.Combine(folder, "model.safetensors.index.json"),
            JsonSerializer.Serialize(new { metadata = new { total_size = 0 }, weight_map = map }));
    }

    /// <summary>The values a tensor holds once stored in <paramref name="type"/> (what the model really computes with).</summary>
    public static float[] RoundTrip(float[] values, SafetensorsDataType type)
    {
        byte[] bytes = Encode(values, type);
        var result = new float[values.Length];
        if (type == SafetensorsDataType.F16)
        {
            HalfPrecisionConverter.FromF16(bytes, result);
        }
        else if (type == SafetensorsDataType.BF16)
        {
            HalfPrecisionConverter.FromBF16(bytes, result);
        }
        else
        {
            Buffer.BlockCopy(bytes, 0, result, 0, bytes.Length);
        }
        return result;
    }

    private static byte[] Encode(float[] values, SafetensorsDataType type)
    {
        switch (type)
        {
            case SafetensorsDataType.F32:
            {
                var bytes = new byte[values.Length * 4];
                Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
                return bytes;
            }
            case SafetensorsDataType.F16:
            {
                var bytes = new byte[values.Length * 2];
                HalfPrecisionConverter.ToF16(values, bytes);
                return bytes;
            }
            case SafetensorsDataType.BF16:
            {
                var bytes = new byte[values.Length * 2];
                HalfPrecisionConverter.ToBF16(values, bytes);
                return bytes;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(type));
        }
    }
}
