using System.Text.Json;

namespace GgufPs.Tests.RealModel;

/// <summary>
/// llama.cpp's figures for tinystories-3m, read from the fixture's llama-cpp-reference.json: the one copy of them,
/// which the Demo reads too.
/// </summary>
public static class TinyStories3mReference
{
    private static readonly Lazy<JsonElement> Document = new(() =>
        JsonDocument.Parse(File.ReadAllBytes(FixturePaths.Get("models", "tinystories-3m-hf", "llama-cpp-reference.json"))).RootElement);

    /// <summary>llama-perplexity's -c.</summary>
    public static int Context => Document.Value.GetProperty("context").GetInt32();

    /// <summary>The chunks llama-perplexity scored at that context: the whole held-out text.</summary>
    public static int Chunks => Document.Value.GetProperty("chunks").GetInt32();

    /// <summary>Type, file bytes and perplexity, for every type llama.cpp made.</summary>
    public static TheoryData<string, long, double> SizesAndPerplexities()
    {
        var data = new TheoryData<string, long, double>();
        foreach (var entry in Document.Value.GetProperty("types").EnumerateArray())
        {
            data.Add(entry.GetProperty("type").GetString()!, entry.GetProperty("fileBytes").GetInt64(), entry.GetProperty("perplexity").GetDouble());
        }
        return data;
    }

    /// <summary>The types llama-quantize made from the F16 file.</summary>
    public static TheoryData<string> QuantizedTypes()
    {
        var data = new TheoryData<string>();
        foreach (var entry in Document.Value.GetProperty("types").EnumerateArray())
        {
            string type = entry.GetProperty("type").GetString()!;
            if (type is not ("F32" or "F16"))
            {
                data.Add(type);
            }
        }
        return data;
    }
}
