using System.Text.Json;

namespace GgufPs.Conversion;

/// <summary>
/// Maps a tokenizer.json pre-tokenizer to the tokenizer.ggml.pre name that makes llama.cpp split text the same way.
/// llama.cpp's converter recognises tokenizers by hashing a test encoding with transformers; without transformers we
/// compare the split patterns the pre-tokenizer declares with the ones llama.cpp implements for each name.
/// </summary>
internal static class BpePreTokenizerNames
{
    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
    private const string Llama3Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Qwen2Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string TekkenPattern = @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Gpt4oPattern = @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>Pattern lists (in pre-tokenizer order) and the llama.cpp name each one means.</summary>
    private static readonly (string Name, string[] Patterns)[] Known =
    [
        ("gpt-2", [Gpt2Pattern]),
        ("llama-bpe", [Llama3Pattern]),
        ("qwen2", [Qwen2Pattern]),
        ("gpt-4o", [Gpt4oPattern]),
        ("tekken", [TekkenPattern]),
        ("deepseek-coder", [@"[\r\n]", @"\s?\p{L}+", @"\s?\p{P}+", "[一-龥ࠀ-一가-퟿]+", @"\p{N}"]),
        ("deepseek-v3", [@"\p{N}{1,3}", "[一-龥぀-ゟ゠-ヿ]+", @"[!""#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"]),
        ("starcoder", [@"\p{N}", Gpt2Pattern]),
    ];

    /// <summary>The names this mapping can produce.</summary>
    public static IEnumerable<string> SupportedNames => Known.Select(k => k.Name).Append("deepseek-llm").Distinct();

    /// <summary>The tokenizer.ggml.pre name for a pre-tokenizer; <see cref="NotSupportedException"/> when it is not one llama.cpp implements.</summary>
    public static string Resolve(JsonElement? preTokenizer, string tokenizerPath)
    {
        var patterns = new List<string>();
        if (preTokenizer is { } p)
        {
            Collect(p, patterns);
        }
        if (patterns.Count == 0)
        {
            throw new NotSupportedException($"The BPE pre-tokenizer of '{tokenizerPath}' declares no split pattern, so llama.cpp's " +
                "tokenizer.ggml.pre cannot be chosen. Known pre-tokenizers: " + string.Join(", ", SupportedNames) + ".");
        }
        foreach (var (name, known) in Known)
        {
            if (known.SequenceEqual(patterns, StringComparer.Ordinal))
            {
                return name;
            }
        }
        // deepseek-llm spells out long Unicode letter ranges; its first and last splits and their count identify it.
        if (patterns.Count == 6 && patterns[0] == @"[\r\n]" && patterns[5] == @"\p{N}+" && patterns[3] == "[一-龥ࠀ-一가-퟿]+")
        {
            return "deepseek-llm";
        }
        throw new NotSupportedException($"The BPE pre-tokenizer of '{tokenizerPath}' is not one llama.cpp's tokenizer.ggml.pre names " +
            $"(splits: {string.Join(" ; ", patterns)}). Known pre-tokenizers: {string.Join(", ", SupportedNames)}.");
    }

    // A ByteLevel step with use_regex adds GPT-2's pattern; Digits with individual_digits splits every digit.
    private static void Collect(JsonElement e, List<string> patterns)
    {
        string type = e.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
        switch (type)
        {
            case "Sequence":
                if (e.TryGetProperty("pretokenizers", out var list) && list.ValueKind == JsonValueKind.Array)
                {
                    foreach (var item in list.EnumerateArray())
                    {
                        Collect(item, patterns);
                    }
                }
                break;
            case "Split":
                if (e.TryGetProperty("pattern", out var pattern) && pattern.ValueKind == JsonValueKind.Object)
                {
                    if (pattern.TryGetProperty("Regex", out var regex) && regex.ValueKind == JsonValueKind.String)
                    {
                        patterns.Add(regex.GetString()!);
                    }
                    else if (pattern.TryGetProperty("String", out var literal) && literal.ValueKind == JsonValueKind.String)
                    {
                        patterns.Add(System.Text.RegularExpressions.Regex.Escape(literal.GetString()!));
                    }
                }
                break;
            case "ByteLevel":
                if (!e.TryGetProperty("use_regex", out var useRegex) || useRegex.ValueKind != JsonValueKind.False)
                {
                    patterns.Add(Gpt2Pattern);
                }
                break;
            case "Digits":
                patterns.Add(e.TryGetProperty("individual_digits", out var individual) && individual.ValueKind == JsonValueKind.True ? @"\p{N}" : @"\p{N}+");
                break;
        }
    }
}
