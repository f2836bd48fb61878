using System.Text.Json;

namespace GgufPs.Conversion;

/// <summary>
/// Special token ids, add-bos/eos flags, merges and the chat template, gathered from tokenizer.json,
/// tokenizer_config.json (and chat_template.jinja/json) and config.json the way gguf-py's SpecialVocab does, and
/// written under tokenizer.ggml.* in the same order.
/// </summary>
internal sealed class SpecialVocabulary
{
    private static readonly string[] DefaultTypes = ["bos", "eos", "unk", "sep", "pad", "cls", "mask"];

    private readonly List<string> _types;
    private readonly int? _vocabularySize;
    private readonly Action<string> _warn;

    public SpecialVocabulary(string folder, HfTokenizerJson? tokenizer, bool loadMerges, int? vocabularySize, Action<string> warn,
        IEnumerable<string>? tokenTypes = null)
    {
        _types = (tokenTypes ?? DefaultTypes).ToList();
        _vocabularySize = vocabularySize;
        _warn = warn;
        LoadMerges = loadMerges;
        LoadFromTokenizerFiles(folder, tokenizer);
        LoadFromConfig(folder);
        if (loadMerges && Merges.Count == 0)
        {
            LoadMergesText(folder);
        }
    }

    public bool LoadMerges { get; }

    public List<string> Merges { get; set; } = [];

    /// <summary>Special token ids by type (bos, eos, ...) in the order they were found.</summary>
    public List<KeyValuePair<string, int>> TokenIds { get; } = [];

    public List<KeyValuePair<string, bool>> AddTokens { get; } = [];

    public string? ChatTemplate { get; set; }

    public List<KeyValuePair<string, string>> NamedChatTemplates { get; } = [];

    public bool NormalizerLowercase { get; private set; }

    /// <summary>Sets an id unless the type already has one; ids outside the vocabulary are skipped with a warning.</summary>
    public void SetTokenId(string type, long id)
    {
        if (id < 0)
        {
            throw new InvalidDataException($"Invalid id {id} for the special token type {type}.");
        }
        if (_vocabularySize is { } n && id >= n)
        {
            _warn($"Special token type {type}, id {id} out of range, must be under {n} - skipping.");
            return;
        }
        if (TokenIds.Any(p => p.Key == type))
        {
            return;
        }
        TokenIds.Add(new(type, (int)id));
    }

    public void Write(GgufMetadataBuilder metadata)
    {
        if (Merges.Count > 0)
        {
            metadata.Array("tokenizer.ggml.merges", Merges.ToArray());
        }
        else if (LoadMerges)
        {
            _warn("Adding merges requested but no merges found, output may be non-functional.");
        }
        foreach (var (type, id) in TokenIds)
        {
            if (IdKey(type) is { } key)
            {
                metadata.UInt32(key, id);
            }
            else
            {
                _warn($"No handler for special token type {type} with id {id} - skipping.");
            }
        }
        foreach (var (type, value) in AddTokens)
        {
            if (type is "bos" or "eos" or "sep")
            {
                metadata.Bool($"tokenizer.ggml.add_{type}_token", value);
            }
            else
            {
                _warn($"No handler for add_{type}_token with value {value} - skipping.");
            }
        }
        if (NamedChatTemplates.Count > 0)
        {
            foreach (var (name, template) in NamedChatTemplates)
            {
                metadata.String($"tokenizer.chat_template.{name}", template);
            }
            metadata.Array("tokenizer.chat_templates", NamedChatTemplates.Select(t => t.Key).ToArray());
        }
        if (ChatTemplate is not null)
        {
            metadata.String("tokenizer.chat_template", ChatTemplate);
        }
        if (NormalizerLowercase)
        {
            metadata.Bool("tokenizer.ggml.normalizer_lowercase", true);
        }
    }

    /// <summary>The key gguf-py's writer stores a special token type's id under; null for the types it has no key for.</summary>
    public static string? IdKey(string type) => type switch
    {
        "bos" => "tokenizer.ggml.bos_token_id",
        "eos" => "tokenizer.ggml.eos_token_id",
        "unk" => "tokenizer.ggml.unknown_token_id",
        "sep" => "tokenizer.ggml.seperator_token_id",
        "pad" => "tokenizer.ggml.padding_token_id",
        "mask" => "tokenizer.ggml.mask_token_id",
        "eot" => "tokenizer.ggml.eot_token_id",
        "eom" => "tokenizer.ggml.eom_token_id",
        // gguf-py's writer has no key for cls, prefix, suffix, middle or fsep ids; the converter skips them.
        _ => null,
    };

    private void SetAdd(string type, bool value)
    {
        int i = AddTokens.FindIndex(p => p.Key == type);
        if (i >= 0)
        {
            AddTokens[i] = new(type, value);
        }
        else
        {
            AddTokens.Add(new(type, value));
        }
    }

    private void LoadFromTokenizerFiles(string folder, HfTokenizerJson? tokenizer)
    {
        if (tokenizer is not null)
        {
            if (LoadMerges)
            {
                Merges = tokenizer.Merges.ToList();
            }
            if (tokenizer.Normalizer is { } normalizer)
            {
                ParseNormalizer(normalizer);
            }
        }
        var addedTokens = tokenizer?.AddedTokens ?? [];
        var config = ReadJsonObject(Path.Combine(folder, "tokenizer_config.json"));
        if (tokenizer is not null && tokenizer.PostProcessor is { } post)
        {
            ParsePostProcessor(post, config);
        }
        if (config is null)
        {
            return;
        }
        ReadChatTemplate(folder, config);
        foreach (string type in _types)
        {
            if (config.TryGetValue($"add_{type}_token", out var add) && add.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                SetAdd(type, add.GetBoolean());
            }
            if (!config.TryGetValue($"{type}_token", out var entry))
            {
                continue;
            }
            string? content = entry.ValueKind switch
            {
                JsonValueKind.String => entry.GetString(),
                JsonValueKind.Object when entry.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String => c.GetString(),
                _ => null,
            };
            if (content is null)
            {
                continue;
            }
            var match = addedTokens.FirstOrDefault(t => t.Content == content);
            if (match is not null)
            {
                SetTokenId(type, match.Id);
            }
        }
    }

    // Only simple TemplateProcessing templates are understood, as in gguf-py: a leading bos, a trailing eos.
    private void ParsePostProcessor(JsonElement post, Dictionary<string, JsonElement>? config)
    {
        var processors = post.TryGetProperty("processors", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().ToList()
            : [post];
        string? bos = ContentOf(config, "bos_token") ?? ContentOf(config, "cls_token");
        string? eos = ContentOf(config, "eos_token") ?? ContentOf(config, "sep_token");
        foreach (var processor in processors)
        {
            string? type = processor.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (type == "RobertaProcessing")
            {
                SetAdd("bos", true);
                SetAdd("eos", true);
                SetAdd("sep", true);
                continue;
            }
            if (type != "TemplateProcessing" || !processor.TryGetProperty("single", out var single) || single.ValueKind != JsonValueKind.Array)
            {
                continue;
            }
            var items = single.EnumerateArray().ToList();
            if (items.Count <= 1)
            {
                continue;
            }
            if (SpecialTokenId(items[0]) is { } first)
            {
                bos = config is null ? first : bos;
                SetAdd("bos", first == bos || first == ContentOf(config, "cls_token"));
            }
            if (SpecialTokenId(items[^1]) is { } last)
            {
                eos = config is null ? last : eos;
                SetAdd("eos", last == eos);
            }
        }
    }

    private static string? SpecialTokenId(JsonElement item) =>
        item.TryGetProperty("SpecialToken", out var s) && s.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;

    private static string? ContentOf(Dictionary<string, JsonElement>? config, string key)
    {
        if (config is null || !config.TryGetValue(key, out var v))
        {
            return null;
        }
        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Object when v.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String => c.GetString(),
            _ => null,
        };
    }

    private void ReadChatTemplate(string folder, Dictionary<string, JsonElement> config)
    {
        if (config.TryGetValue("chat_template", out var template))
        {
            if (template.ValueKind == JsonValueKind.String)
            {
                ChatTemplate = template.GetString();
            }
            else if (template.ValueKind == JsonValueKind.Array)
            {
                foreach (var choice in template.EnumerateArray())
                {
                    if (choice.ValueKind != JsonValueKind.Object || !choice.TryGetProperty("template", out var body) || body.ValueKind != JsonValueKind.String)
                    {
                        continue;
                    }
                    string name = choice.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : "";
                    name = new string(name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
                    if (name == "default")
                    {
                        ChatTemplate = body.GetString();
                    }
                    else if (name.Length > 0)
                    {
                        NamedChatTemplates.Add(new(name, body.GetString()!));
                    }
                }
            }
            else if (template.ValueKind != JsonValueKind.Null)
            {
                _warn("Bad type for chat_template field in tokenizer_config.json - ignoring.");
            }
            return;
        }
        string jinja = Path.Combine(folder, "chat_template.jinja");
        string json = Path.Combine(folder, "chat_template.json");
        if (File.Exists(jinja))
        {
            ChatTemplate = File.ReadAllText(jinja);
        }
        else if (ReadJsonObject(json) is { } j && j.TryGetValue("chat_template", out var t) && t.ValueKind == JsonValueKind.String)
        {
            ChatTemplate = t.GetString();
        }
    }

    private void ParseNormalizer(JsonElement normalizer)
    {
        string? type = normalizer.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        if (type == "Lowercase")
        {
            NormalizerLowercase = true;
        }
        else if (type == "BertNormalizer")
        {
            if (!normalizer.TryGetProperty("lowercase", out var l) || l.ValueKind != JsonValueKind.False)
            {
                NormalizerLowercase = true;
            }
        }
        else if (type == "Sequence" && normalizer.TryGetProperty("normalizers", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var n in list.EnumerateArray())
            {
                ParseNormalizer(n);
            }
        }
    }

    private void LoadFromConfig(string folder)
    {
        var config = ReadJsonObject(Path.Combine(folder, "config.json"));
        if (config is null)
        {
            return;
        }
        config.TryGetValue("text_config", out var textConfig);
        foreach (string type in _types)
        {
            if (!config.TryGetValue($"{type}_token_id", out var id) || id.ValueKind == JsonValueKind.Null)
            {
                if (textConfig.ValueKind != JsonValueKind.Object || !textConfig.TryGetProperty($"{type}_token_id", out id))
                {
                    continue;
                }
            }
            // gguf-py takes only plain integers; lists (several eos ids) are ignored.
            if (id.ValueKind == JsonValueKind.Number && id.TryGetInt64(out long value))
            {
                SetTokenId(type, value);
            }
        }
    }

    private void LoadMergesText(string folder)
    {
        string path = Path.Combine(folder, "merges.txt");
        if (!File.Exists(path))
        {
            return;
        }
        var merges = new List<string>();
        int lineNumber = 0;
        foreach (string raw in File.ReadLines(path))
        {
            lineNumber++;
            string line = raw.Trim();
            if (lineNumber == 1 && line.StartsWith('#'))
            {
                continue;
            }
            if (line.Length == 0)
            {
                continue;
            }
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2)
            {
                _warn($"merges.txt: Line {lineNumber}: Entry malformed, ignoring.");
                continue;
            }
            merges.Add(parts[0] + " " + parts[1]);
        }
        Merges = merges;
    }

    internal static Dictionary<string, JsonElement>? ReadJsonObject(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ModelFormatException(path, "it is not a JSON object");
            }
            return document.RootElement.Clone().EnumerateObject().ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
        }
        catch (JsonException ex)
        {
            throw new ModelFormatException(path, "it is not valid JSON: " + ex.Message, ex);
        }
    }
}
