using System.Text.Json;

namespace GgufPs.Conversion;

/// <summary>
/// A Hugging Face fast-tokenizer file (tokenizer.json): the model's vocabulary and merges, the added tokens, and the
/// pre-tokenizer, decoder, normalizer and post-processor sections that decide how llama.cpp must tokenize.
/// </summary>
internal sealed class HfTokenizerJson
{
    private HfTokenizerJson(string path, string modelType, Dictionary<string, int> vocab, IReadOnlyList<string> merges,
        IReadOnlyList<HfAddedToken> addedTokens, JsonElement root)
    {
        Path = path;
        ModelType = modelType;
        Vocab = vocab;
        Merges = merges;
        AddedTokens = addedTokens;
        var model = root.GetProperty("model");
        ByteFallback = model.TryGetProperty("byte_fallback", out var bf) && bf.ValueKind == JsonValueKind.True;
        IgnoreMerges = model.TryGetProperty("ignore_merges", out var im) && im.ValueKind == JsonValueKind.True;
        PreTokenizer = Section(root, "pre_tokenizer");
        Decoder = Section(root, "decoder");
        Normalizer = Section(root, "normalizer");
        PostProcessor = Section(root, "post_processor");
        DecoderType = Decoder is { } d && d.TryGetProperty("type", out var dt) && dt.ValueKind == JsonValueKind.String ? dt.GetString() : null;
    }

    public string Path { get; }

    /// <summary>model.type: BPE, Unigram, WordPiece or WordLevel.</summary>
    public string ModelType { get; }

    /// <summary>model.vocab: piece to id (the base vocabulary, without added tokens).</summary>
    public IReadOnlyDictionary<string, int> Vocab { get; }

    /// <summary>model.merges as "left right" strings; pair-form merges have their spaces encoded as U+0120, as gguf-py does.</summary>
    public IReadOnlyList<string> Merges { get; }

    public IReadOnlyList<HfAddedToken> AddedTokens { get; }

    public bool ByteFallback { get; }

    public bool IgnoreMerges { get; }

    public string? DecoderType { get; }

    public JsonElement? PreTokenizer { get; }

    public JsonElement? Decoder { get; }

    public JsonElement? Normalizer { get; }

    public JsonElement? PostProcessor { get; }

    public static HfTokenizerJson Load(string path)
    {
        string fullPath = System.IO.Path.GetFullPath(path);
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(fullPath), new JsonDocumentOptions { MaxDepth = 256 });
            root = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new ModelFormatException(fullPath, "it is not valid JSON: " + ex.Message, ex);
        }
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
        {
            throw new ModelFormatException(fullPath, "it has no \"model\" section");
        }
        string modelType = model.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
        if (modelType.Length == 0 && model.TryGetProperty("merges", out _))
        {
            // Old files omit the type of BPE models.
            modelType = "BPE";
        }
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        if (model.TryGetProperty("vocab", out var v) && v.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in v.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out int id) || id < 0)
                {
                    throw new ModelFormatException(fullPath, $"the vocabulary entry '{p.Name}' has an invalid id {p.Value.GetRawText()}");
                }
                vocab[p.Name] = id;
            }
        }
        var merges = new List<string>();
        if (model.TryGetProperty("merges", out var m) && m.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in m.EnumerateArray())
            {
                merges.Add(ReadMerge(item, fullPath));
            }
        }
        var added = new List<HfAddedToken>();
        if (root.TryGetProperty("added_tokens", out var a) && a.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in a.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("id", out var idElement) || !idElement.TryGetInt32(out int id)
                    || id < 0 || !item.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String)
                {
                    throw new ModelFormatException(fullPath, $"an added token is malformed: {item.GetRawText()}");
                }
                bool special = item.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True;
                bool normalized = !item.TryGetProperty("normalized", out var n) || n.ValueKind != JsonValueKind.False;
                added.Add(new HfAddedToken(id, content.GetString()!, special, normalized));
            }
        }
        return new HfTokenizerJson(fullPath, modelType, vocab, merges, added, root);
    }

    private static string ReadMerge(JsonElement item, string path)
    {
        if (item.ValueKind == JsonValueKind.String)
        {
            return item.GetString()!;
        }
        if (item.ValueKind == JsonValueKind.Array && item.GetArrayLength() == 2
            && item[0].ValueKind == JsonValueKind.String && item[1].ValueKind == JsonValueKind.String)
        {
            // Pair form (transformers 4.45+) allows spaces inside a part; the string form cannot, so they are encoded.
            return EncodeSpaces(item[0].GetString()!) + " " + EncodeSpaces(item[1].GetString()!);
        }
        throw new ModelFormatException(path, $"a merge is neither \"a b\" nor [\"a\", \"b\"]: {item.GetRawText()}");
    }

    private static string EncodeSpaces(string part) => part.Replace(' ', (char)(' ' + 256));

    private static JsonElement? Section(JsonElement root, string name) =>
        root.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.Object ? e : null;
}
