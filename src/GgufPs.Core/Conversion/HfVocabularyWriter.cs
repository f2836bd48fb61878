using System.Text.Json;
using System.Text.RegularExpressions;

namespace GgufPs.Conversion;

/// <summary>
/// Writes tokenizer.ggml.* from a Hugging Face folder the way llama.cpp's converter does: a SentencePiece
/// tokenizer.model ("llama" vocabulary), a Llama-style fast tokenizer.json with byte fallback, or a GPT-2 style
/// byte-level BPE ("gpt2" vocabulary with merges and a pre-tokenizer name). The vocabulary is cut or padded with
/// [PAD{id}] pieces to the model's vocab_size so it always matches the embedding rows.
/// </summary>
internal static partial class HfVocabularyWriter
{
    private const int TokenNormal = 1, TokenUnknown = 2, TokenControl = 3, TokenUserDefined = 4, TokenUnused = 5, TokenByte = 6;

    /// <summary>
    /// Writes a SentencePiece vocabulary; false when the folder has no tokenizer.model. Phi-3's converter reads added
    /// tokens its own way: special ones are control tokens, the others user-defined, taken as written, and
    /// tokenizer.json's added tokens count too.
    /// </summary>
    public static bool TryWriteSentencePiece(string folder, long? vocabSize, GgufMetadataBuilder metadata, Action<string> warn, bool phi3AddedTokens = false)
    {
        string modelPath = Path.Combine(folder, "tokenizer.model");
        if (!File.Exists(modelPath))
        {
            return false;
        }
        var model = SentencePieceModel.Load(modelPath);
        int n = checked((int)(vocabSize ?? model.Pieces.Count));
        var tokens = new string[n];
        var scores = new float[n];
        var types = new int[n];
        for (int i = 0; i < n; i++)
        {
            tokens[i] = $"[PAD{i}]";
            scores[i] = -10000f;
            types[i] = TokenUnused;
        }
        if (model.Pieces.Count > n)
        {
            warn($"The tokenizer has {model.Pieces.Count} pieces but the model has {n} embedding rows: ignoring pieces from id {n} on.");
        }
        for (int id = 0; id < Math.Min(n, model.Pieces.Count); id++)
        {
            var piece = model.Pieces[id];
            tokens[id] = piece.Text;
            scores[id] = piece.Score;
            // sentencepiece's IsUnknown/IsControl/IsUnused/IsByte; user-defined pieces are written as normal, as the converter does.
            types[id] = piece.Type switch
            {
                SentencePieceType.Unknown => TokenUnknown,
                SentencePieceType.Control => TokenControl,
                SentencePieceType.Unused => TokenUnused,
                SentencePieceType.Byte => TokenByte,
                _ => TokenNormal,
            };
        }
        ApplyAddedTokensJson(folder, n, tokens, scores, types, warn);
        if (phi3AddedTokens)
        {
            var tokenizerConfig = SpecialVocabulary.ReadJsonObject(Path.Combine(folder, "tokenizer_config.json"));
            var fromJson = LoadTokenizerJsonIfPresent(folder)?.AddedTokens ?? [];
            foreach (var token in AddedTokensDecoder(tokenizerConfig).Concat(fromJson))
            {
                if (token.Id >= n)
                {
                    warn($"Ignoring added token {token.Id}: id is out of range, max={n - 1}.");
                    continue;
                }
                tokens[token.Id] = token.Content;
                scores[token.Id] = -1000f;
                types[token.Id] = token.Special ? TokenControl : TokenUserDefined;
            }
        }
        else
        {
            ApplyAddedTokensDecoder(folder, n, tokens, scores, types, warn);
        }

        metadata.String("tokenizer.ggml.model", "llama");
        metadata.String("tokenizer.ggml.pre", "default");
        metadata.Array("tokenizer.ggml.tokens", tokens);
        metadata.Array("tokenizer.ggml.scores", scores);
        metadata.Array("tokenizer.ggml.token_type", types);
        var special = new SpecialVocabulary(folder, LoadTokenizerJsonIfPresent(folder), loadMerges: false, vocabularySize: n, warn);
        special.Write(metadata);
        return true;
    }

    /// <summary>
    /// Writes the vocabulary of a Llama-style fast tokenizer (BPE with byte fallback, a Sequence decoder) as a "llama"
    /// vocabulary; false when tokenizer.json is absent or of another kind.
    /// </summary>
    public static bool TryWriteLlamaHf(string folder, long? vocabSize, GgufMetadataBuilder metadata, Action<string> warn)
    {
        var tokenizer = LoadTokenizerJsonIfPresent(folder);
        if (tokenizer is null || tokenizer.ModelType != "BPE" || !tokenizer.ByteFallback || tokenizer.DecoderType != "Sequence")
        {
            return false;
        }
        var config = SpecialVocabulary.ReadJsonObject(Path.Combine(folder, "tokenizer_config.json"));
        var specialsMap = SpecialVocabulary.ReadJsonObject(Path.Combine(folder, "special_tokens_map.json"));
        var reverse = new Dictionary<int, string>();
        foreach (var (piece, id) in tokenizer.Vocab)
        {
            reverse[id] = piece;
        }
        int baseSize = tokenizer.Vocab.Count;
        var all = new Dictionary<string, int>(tokenizer.Vocab, StringComparer.Ordinal);
        foreach (var added in tokenizer.AddedTokens)
        {
            all.TryAdd(added.Content, added.Id);
        }
        var specialIds = new HashSet<int>();
        foreach (string content in SpecialTokenContents(config).Concat(SpecialTokenContents(specialsMap)))
        {
            if (all.TryGetValue(content, out int id))
            {
                specialIds.Add(id);
            }
        }
        var tokens = new List<string>();
        var types = new List<int>();
        for (int id = 0; id < baseSize; id++)
        {
            if (!reverse.TryGetValue(id, out string? piece))
            {
                throw new ModelFormatException(tokenizer.Path, $"the vocabulary has no piece with id {id} below its size {baseSize}");
            }
            tokens.Add(piece);
            types.Add(ByteTokenPattern().IsMatch(piece) ? TokenByte : specialIds.Contains(id) ? TokenControl : TokenNormal);
        }
        foreach (var added in tokenizer.AddedTokens.Where(a => a.Id >= baseSize).OrderBy(a => a.Id))
        {
            tokens.Add(added.Content);
            types.Add(specialIds.Contains(added.Id) ? TokenControl : TokenUserDefined);
        }
        // The fast tokenizer carries no scores; llama.cpp's converter writes -1000 for every piece.
        var scores = Enumerable.Repeat(-1000f, tokens.Count).ToList();
        FitToSize(vocabSize, tokens, scores, types, warn, padScore: -1000f);

        metadata.String("tokenizer.ggml.model", "llama");
        metadata.String("tokenizer.ggml.pre", "default");
        metadata.Array("tokenizer.ggml.tokens", tokens.ToArray());
        metadata.Array("tokenizer.ggml.scores", scores.ToArray());
        metadata.Array("tokenizer.ggml.token_type", types.ToArray());
        new SpecialVocabulary(folder, tokenizer, loadMerges: false, vocabularySize: tokens.Count, warn).Write(metadata);
        return true;
    }

    /// <summary>Writes a GPT-2 style byte-level BPE vocabulary from tokenizer.json (or vocab.json + merges.txt).</summary>
    public static void WriteGpt2(string folder, long? vocabSize, GgufMetadataBuilder metadata, Action<string> warn)
    {
        var tokenizer = LoadTokenizerJsonIfPresent(folder);
        var tokenizerConfig = SpecialVocabulary.ReadJsonObject(Path.Combine(folder, "tokenizer_config.json"));
        Dictionary<string, int> vocab;
        List<HfAddedToken> added;
        string pre;
        if (tokenizer is not null)
        {
            if (tokenizer.ModelType != "BPE")
            {
                throw new NotSupportedException($"'{tokenizer.Path}' holds a {(tokenizer.ModelType.Length == 0 ? "tokenizer of unknown type" : tokenizer.ModelType + " tokenizer")}; " +
                    "Convert-Model reads BPE tokenizer.json files and SentencePiece tokenizer.model files.");
            }
            vocab = new Dictionary<string, int>(tokenizer.Vocab, StringComparer.Ordinal);
            added = tokenizer.AddedTokens.ToList();
            pre = BpePreTokenizerNames.Resolve(tokenizer.PreTokenizer, tokenizer.Path);
        }
        else if (File.Exists(Path.Combine(folder, "vocab.json")))
        {
            // A slow GPT-2 tokenizer: vocab.json + merges.txt, split with GPT-2's own pattern.
            vocab = ReadVocabJson(Path.Combine(folder, "vocab.json"));
            added = AddedTokensDecoder(tokenizerConfig).ToList();
            pre = "gpt-2";
        }
        else
        {
            throw new FileNotFoundException($"'{folder}' has no tokenizer: expected tokenizer.model, tokenizer.json or vocab.json + merges.txt.",
                Path.Combine(folder, "tokenizer.json"));
        }
        var all = new Dictionary<int, string>();
        foreach (var (piece, id) in vocab)
        {
            all[id] = piece;
        }
        var addedById = new Dictionary<int, HfAddedToken>();
        foreach (var a in added)
        {
            all[a.Id] = a.Content;
            addedById[a.Id] = a;
        }
        int n = checked((int)(vocabSize ?? (all.Count == 0 ? 0 : all.Keys.Max() + 1)));
        int beyond = all.Keys.Count(id => id >= n);
        if (beyond > 0)
        {
            warn($"The tokenizer has {beyond} piece(s) with ids at or above the model's vocab_size {n}; they are left out.");
        }
        var tokens = new string[n];
        var types = new int[n];
        for (int i = 0; i < n; i++)
        {
            if (!all.TryGetValue(i, out string? token))
            {
                tokens[i] = $"[PAD{i}]";
                types[i] = TokenUnused;
                continue;
            }
            if (addedById.TryGetValue(i, out var a))
            {
                if (a.Special || LooksSpecial(token))
                {
                    types[i] = TokenControl;
                }
                else
                {
                    // llama.cpp expects user-defined tokens pre-normalized: SentencePiece's space marker becomes a space.
                    token = token.Replace('\u2581', ' ');
                    types[i] = TokenUserDefined;
                }
            }
            else
            {
                types[i] = TokenNormal;
            }
            tokens[i] = token;
        }

        metadata.String("tokenizer.ggml.model", "gpt2");
        metadata.String("tokenizer.ggml.pre", pre);
        metadata.Array("tokenizer.ggml.tokens", tokens);
        metadata.Array("tokenizer.ggml.token_type", types);
        new SpecialVocabulary(folder, tokenizer, loadMerges: true, vocabularySize: null, warn).Write(metadata);
    }

    /// <summary>gguf-py's heuristic for added tokens that are control tokens though not marked special.</summary>
    public static bool LooksSpecial(string token) =>
        token is "<pad>" or "<mask>" or "<2mass>" or "[@BOS@]"
        || (token.StartsWith("<|", StringComparison.Ordinal) && token.EndsWith("|>", StringComparison.Ordinal))
        || (token.StartsWith("<｜", StringComparison.Ordinal) && token.EndsWith("｜>", StringComparison.Ordinal))
        || (token.StartsWith("<unused", StringComparison.Ordinal) && token.EndsWith('>'));

    internal static HfTokenizerJson? LoadTokenizerJsonIfPresent(string folder)
    {
        string path = Path.Combine(folder, "tokenizer.json");
        return File.Exists(path) ? HfTokenizerJson.Load(path) : null;
    }

    private static void FitToSize(long? vocabSize, List<string> tokens, List<float> scores, List<int> types, Action<string> warn, float padScore)
    {
        if (vocabSize is not { } n)
        {
            return;
        }
        if (tokens.Count > n)
        {
            warn($"The tokenizer has {tokens.Count} pieces but the model has {n} embedding rows: ignoring pieces from id {n} on.");
            tokens.RemoveRange((int)n, tokens.Count - (int)n);
            scores.RemoveRange((int)n, scores.Count - (int)n);
            types.RemoveRange((int)n, types.Count - (int)n);
        }
        for (int i = tokens.Count; i < n; i++)
        {
            tokens.Add($"[PAD{i}]");
            scores.Add(padScore);
            types.Add(TokenUnused);
        }
    }

    private static void ApplyAddedTokensJson(string folder, int n, string[] tokens, float[] scores, int[] types, Action<string> warn)
    {
        var added = SpecialVocabulary.ReadJsonObject(Path.Combine(folder, "added_tokens.json"));
        if (added is null)
        {
            return;
        }
        foreach (var (content, idElement) in added)
        {
            if (!idElement.TryGetInt32(out int id) || id < 0)
            {
                continue;
            }
            if (id >= n)
            {
                warn($"Ignoring added token {id}: id is out of range, max={n - 1}.");
                continue;
            }
            tokens[id] = content;
            scores[id] = -1000f;
            types[id] = TokenUserDefined;
        }
    }

    private static void ApplyAddedTokensDecoder(string folder, int n, string[] tokens, float[] scores, int[] types, Action<string> warn)
    {
        var config = SpecialVocabulary.ReadJsonObject(Path.Combine(folder, "tokenizer_config.json"));
        foreach (var token in AddedTokensDecoder(config))
        {
            if (token.Id >= n)
            {
                warn($"Ignoring added token {token.Id}: id is out of range, max={n - 1}.");
                continue;
            }
            string content = token.Content;
            if (token.Special || LooksSpecial(content))
            {
                types[token.Id] = TokenControl;
            }
            else
            {
                content = content.Replace('\u2581', ' ');
                types[token.Id] = TokenUserDefined;
            }
            scores[token.Id] = -1000f;
            tokens[token.Id] = content;
        }
    }

    private static IEnumerable<HfAddedToken> AddedTokensDecoder(Dictionary<string, JsonElement>? config)
    {
        if (config is null || !config.TryGetValue("added_tokens_decoder", out var decoder) || decoder.ValueKind != JsonValueKind.Object)
        {
            yield break;
        }
        foreach (var p in decoder.EnumerateObject())
        {
            if (!int.TryParse(p.Name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int id)
                || p.Value.ValueKind != JsonValueKind.Object || !p.Value.TryGetProperty("content", out var c) || c.ValueKind != JsonValueKind.String)
            {
                continue;
            }
            bool special = p.Value.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True;
            bool normalized = !p.Value.TryGetProperty("normalized", out var nz) || nz.ValueKind != JsonValueKind.False;
            yield return new HfAddedToken(id, c.GetString()!, special, normalized);
        }
    }

    private static IEnumerable<string> SpecialTokenContents(Dictionary<string, JsonElement>? config)
    {
        if (config is null)
        {
            yield break;
        }
        foreach (string key in new[] { "bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token" })
        {
            if (config.TryGetValue(key, out var v))
            {
                if (v.ValueKind == JsonValueKind.String)
                {
                    yield return v.GetString()!;
                }
                else if (v.ValueKind == JsonValueKind.Object && v.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String)
                {
                    yield return c.GetString()!;
                }
            }
        }
        if (config.TryGetValue("additional_special_tokens", out var extra) && extra.ValueKind == JsonValueKind.Array)
        {
            foreach (var e in extra.EnumerateArray())
            {
                if (e.ValueKind == JsonValueKind.String)
                {
                    yield return e.GetString()!;
                }
                else if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String)
                {
                    yield return c.GetString()!;
                }
            }
        }
    }

    private static Dictionary<string, int> ReadVocabJson(string path)
    {
        var json = SpecialVocabulary.ReadJsonObject(path)!;
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (piece, id) in json)
        {
            if (!id.TryGetInt32(out int value) || value < 0)
            {
                throw new ModelFormatException(path, $"the entry '{piece}' has an invalid id");
            }
            vocab[piece] = value;
        }
        return vocab;
    }

    [GeneratedRegex("^<0x[0-9A-Fa-f]{2}>$")]
    private static partial Regex ByteTokenPattern();
}
