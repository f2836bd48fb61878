using System.Buffers.Binary;
using System.Text;

namespace GgufPs.Tokenization;

/// <summary>
/// A model's vocabulary read from its tokenizer.ggml.* metadata with the rules of llama.cpp's llama_vocab::load:
/// default special ids per tokenizer model, flags per pre-tokenizer, ids checked against the vocabulary size, and the
/// attribute fix-ups llama.cpp applies by token text (control-looking tokens, phi-3's right-strip, ...).
/// </summary>
internal sealed class Vocabulary
{
    public const int NoToken = -1;

    private static readonly string[] EotTexts =
    [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>",
        "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>",
    ];

    private static readonly string[] FimPreTexts = ["<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>"];
    private static readonly string[] FimSufTexts = ["<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>"];
    private static readonly string[] FimMidTexts = ["<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>"];
    private static readonly string[] FimPadTexts = ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"];
    private static readonly string[] FimRepTexts = ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"];
    private static readonly string[] FimSepTexts = ["<|file_sep|>"];

    private static readonly string[] EogTexts =
    [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>",
        "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>",
        "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~[",
    ];

    private readonly Dictionary<byte[], int> _tokenToId;
    private readonly Dictionary<byte[], int>.AlternateLookup<ReadOnlySpan<byte>> _lookup;
    private readonly Dictionary<byte[], int>? _mergeRanks;
    private readonly Dictionary<byte[], int>.AlternateLookup<ReadOnlySpan<byte>> _mergeLookup;

    private Vocabulary(TokenizerModel model, byte[][] texts, float[] scores, TokenAttributes[] attributes,
        Dictionary<byte[], int> tokenToId, Dictionary<byte[], int>? mergeRanks)
    {
        Model = model;
        Texts = texts;
        Scores = scores;
        Attributes = attributes;
        _tokenToId = tokenToId;
        _lookup = tokenToId.GetAlternateLookup<ReadOnlySpan<byte>>();
        _mergeRanks = mergeRanks;
        _mergeLookup = (mergeRanks ?? new Dictionary<byte[], int>(Utf8KeyComparer.Instance)).GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    public TokenizerModel Model { get; }

    public string PreTokenizerName { get; private set; } = "";

    public BpePreType PreType { get; private set; }

    public byte[][] Texts { get; }

    public float[] Scores { get; }

    public TokenAttributes[] Attributes { get; }

    public int Count => Texts.Length;

    public int BosId { get; private set; } = NoToken;

    public int EosId { get; private set; } = NoToken;

    public int EotId { get; private set; } = NoToken;

    public int UnknownId { get; private set; } = NoToken;

    public int SeparatorId { get; private set; } = NoToken;

    public int PaddingId { get; private set; } = NoToken;

    public bool AddBos { get; private set; }

    public bool AddEos { get; private set; }

    /// <summary>Whether tokenizing with special tokens appends the separator (WordPiece's [SEP]).</summary>
    public bool AddSep { get; private set; }

    /// <summary>BertNormalizer's lowercase option (tokenizer.ggml.normalizer.lowercase), used by WordPiece.</summary>
    public bool Lowercase { get; private set; } = true;

    /// <summary>BertNormalizer's strip_accents option (tokenizer.ggml.normalizer.strip_accents), used by WordPiece.</summary>
    public bool StripAccents { get; private set; } = true;

    /// <summary>The longest token text in bytes.</summary>
    public int MaxTokenLength { get; private set; }

    public bool AddSpacePrefix { get; private set; }

    public bool IgnoreMerges { get; private set; }

    public bool CleanSpaces { get; private set; }

    public bool EscapeWhitespaces { get; private set; } = true;

    /// <summary>Control, user-defined and unknown tokens, longest text first: the order special tokens are cut out of text.</summary>
    public int[] SpecialTokensByLength { get; private set; } = [];

    public HashSet<int> EndOfGenerationIds { get; } = [];

    public int Find(ReadOnlySpan<byte> text) => _lookup.TryGetValue(text, out int id) ? id : NoToken;

    /// <summary>The rank of merging <paramref name="left"/> and <paramref name="right"/>, or -1.</summary>
    public int MergeRank(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        if (_mergeRanks is null)
        {
            return -1;
        }
        int length = left.Length + 1 + right.Length;
        Span<byte> key = length <= 256 ? stackalloc byte[length] : new byte[length];
        left.CopyTo(key);
        key[left.Length] = (byte)' ';
        right.CopyTo(key[(left.Length + 1)..]);
        return _mergeLookup.TryGetValue(key, out int rank) ? rank : -1;
    }

    /// <summary>The token of a raw byte for SentencePiece byte fallback: &lt;0xXX&gt;, else the byte itself.</summary>
    public int ByteToToken(byte b)
    {
        int id = Find(Encoding.ASCII.GetBytes($"<0x{b:X2}>"));
        if (id != NoToken)
        {
            return id;
        }
        id = Find([b]);
        if (id == NoToken)
        {
            throw new InvalidDataException($"The vocabulary has no token for the byte 0x{b:X2} (neither <0x{b:X2}> nor the byte itself).");
        }
        return id;
    }

    public static Vocabulary Load(GgufMetadataCollection metadata)
    {
        string modelName = metadata.GetString("tokenizer.ggml.model")
            ?? throw new InvalidDataException("The model has no tokenizer (tokenizer.ggml.model is missing).");
        string preName = metadata.GetString("tokenizer.ggml.pre") ?? "";

        TokenizerModel model;
        int bos, eos, unk, sep = NoToken, pad = NoToken;
        switch (modelName)
        {
            case "no_vocab" or "none":
                throw new NotSupportedException($"The model has no vocabulary (tokenizer.ggml.model = '{modelName}').");
            case "llama":
                model = TokenizerModel.SentencePiece;
                (bos, eos, unk) = (1, 2, 0);
                break;
            case "bert":
                model = TokenizerModel.WordPiece;
                (bos, eos, unk, sep, pad) = (101, NoToken, 100, 102, 0);
                break;
            case "gpt2":
                model = TokenizerModel.BytePairEncoding;
                (bos, eos, unk) = (11, 11, NoToken);
                break;
            default:
                throw new NotSupportedException($"The tokenizer '{modelName}' is not supported (supported: llama, gpt2, bert).");
        }

        byte[][] texts = ReadStringArray(metadata, "tokenizer.ggml.tokens")
            ?? throw new InvalidDataException("The model has no token list (tokenizer.ggml.tokens).");
        int n = texts.Length;
        var scores = new float[n];
        var scoreEntry = metadata.GetEntry("tokenizer.ggml.scores");
        if (scoreEntry is not null)
        {
            switch (scoreEntry.Value)
            {
                case float[] f when f.Length >= n:
                    Array.Copy(f, scores, n);
                    break;
                case int[] i when i.Length >= n:
                    for (int k = 0; k < n; k++)
                    {
                        scores[k] = i[k];
                    }
                    break;
                default:
                    throw new InvalidDataException("tokenizer.ggml.scores is not a float32 or int32 array as long as the token list.");
            }
        }
        int[]? tokenTypes = null;
        var typeEntry = metadata.GetEntry("tokenizer.ggml.token_type");
        if (typeEntry is not null)
        {
            tokenTypes = typeEntry.Value as int[];
            if (tokenTypes is null || tokenTypes.Length < n)
            {
                throw new InvalidDataException("tokenizer.ggml.token_type is not an int32 array as long as the token list.");
            }
        }

        var attributes = new TokenAttributes[n];
        var tokenToId = new Dictionary<byte[], int>(n, Utf8KeyComparer.Instance);
        for (int id = 0; id < n; id++)
        {
            if (texts[id].Length == 0)
            {
                texts[id] = Encoding.ASCII.GetBytes($"[EMPTY_{id}]");
            }
            if (!tokenToId.TryAdd(texts[id], id))
            {
                throw new InvalidDataException($"Duplicate token in the vocabulary: '{Encoding.UTF8.GetString(texts[id])}' has ids {tokenToId[texts[id]]} and {id}.");
            }
            attributes[id] = tokenTypes is null ? TokenAttributes.Normal : tokenTypes[id] switch
            {
                2 => TokenAttributes.Unknown,
                5 => TokenAttributes.Unused,
                1 => TokenAttributes.Normal,
                3 => TokenAttributes.Control,
                4 => TokenAttributes.UserDefined,
                6 => TokenAttributes.Byte,
                _ => TokenAttributes.Undefined,
            };
        }

        Dictionary<byte[], int>? merges = null;
        if (model == TokenizerModel.BytePairEncoding)
        {
            byte[][] mergeList = ReadStringArray(metadata, "tokenizer.ggml.merges")
                ?? throw new InvalidDataException("The BPE tokenizer has no merges (tokenizer.ggml.merges).");
            merges = new Dictionary<byte[], int>(mergeList.Length, Utf8KeyComparer.Instance);
            for (int rank = 0; rank < mergeList.Length; rank++)
            {
                // Split at the first space after the first byte, as llama.cpp does; keep the earliest rank of a pair.
                byte[] merge = mergeList[rank];
                if (merge.Length > 1 && merge.AsSpan(1).IndexOf((byte)' ') >= 0)
                {
                    merges.TryAdd(merge, rank);
                }
            }
        }

        var vocab = new Vocabulary(model, texts, scores, attributes, tokenToId, merges)
        {
            PreTokenizerName = preName,
        };
        vocab.ApplyModelDefaults(preName);
        vocab.BosId = bos;
        vocab.EosId = eos;
        vocab.UnknownId = unk;
        vocab.SeparatorId = sep;
        vocab.PaddingId = pad;
        vocab.MaxTokenLength = texts.Max(t => t.Length);
        if (vocab.PreType == BpePreType.Chatglm4)
        {
            vocab.BosId = NoToken;
        }
        vocab.AddSpacePrefix = metadata.GetBool("tokenizer.ggml.add_space_prefix") ?? vocab.AddSpacePrefix;
        vocab.ReadSpecialIds(metadata);
        vocab.AddBos = metadata.GetBool("tokenizer.ggml.add_bos_token") ?? vocab.AddBos;
        vocab.AddEos = metadata.GetBool("tokenizer.ggml.add_eos_token") ?? vocab.AddEos;
        vocab.AddSep = metadata.GetBool("tokenizer.ggml.add_sep_token") ?? vocab.AddSep;
        vocab.Lowercase = metadata.GetBool("tokenizer.ggml.normalizer.lowercase") ?? vocab.Lowercase;
        vocab.StripAccents = metadata.GetBool("tokenizer.ggml.normalizer.strip_accents") ?? vocab.Lowercase;
        if (vocab.AddBos && vocab.BosId == NoToken)
        {
            throw new InvalidDataException("tokenizer.ggml.add_bos_token is true, but tokenizer.ggml.bos_token_id is not set.");
        }
        if (vocab.AddEos && vocab.EosId == NoToken)
        {
            throw new InvalidDataException("tokenizer.ggml.add_eos_token is true, but tokenizer.ggml.eos_token_id is not set.");
        }
        vocab.DetectSpecialTokens(metadata);
        vocab.BuildSpecialTokenCache();
        vocab.ApplyModelSpecificAttributes(metadata);
        return vocab;
    }

    private void ApplyModelDefaults(string preName)
    {
        if (Model == TokenizerModel.WordPiece)
        {
            // WordPiece has no pre-tokenizer variants: tokenizer.ggml.pre ("bert-bge", ...) only names the model.
            PreType = BpePreType.Default;
            AddSpacePrefix = false;
            CleanSpaces = true;
            AddBos = true;
            AddEos = false;
            AddSep = true;
            return;
        }
        if (Model == TokenizerModel.SentencePiece)
        {
            PreType = BpePreType.Default;
            AddSpacePrefix = true;
            CleanSpaces = false;
            AddBos = true;
            AddEos = false;
            return;
        }
        AddSpacePrefix = false;
        EscapeWhitespaces = false;
        CleanSpaces = true;
        (PreType, bool keepCleanSpaces, bool ignoreMerges, bool addBos) = preName switch
        {
            "" or "default" => (BpePreType.Default, true, false, false),
            "llama3" or "llama-v3" or "llama-bpe" or "falcon3" or "falcon-h1" or "pixtral" or "midm-2.0" or "lfm2" or "jina-v5-nano"
                => (BpePreType.Llama3, true, true, true),
            "deepseek-llm" => (BpePreType.DeepseekLlm, false, false, false),
            "deepseek-coder" => (BpePreType.DeepseekCoder, false, false, false),
            "deepseek-v3" => (BpePreType.Deepseek3Llm, false, false, false),
            "falcon" => (BpePreType.Falcon, true, false, false),
            "mpt" => (BpePreType.Mpt, true, false, false),
            "starcoder" => (BpePreType.Starcoder, true, false, false),
            "gpt-2" or "phi-2" or "jina-es" or "jina-de" or "gigachat" or "jina-v2-es" or "jina-v2-de" or "a.x-4.0" or "mellum"
                or "modern-bert" or "jina-v1-en" or "jina-v2-code" or "roberta-bpe" or "exaone4" => (BpePreType.Gpt2, true, false, false),
            "refact" => (BpePreType.Refact, true, false, false),
            "command-r" => (BpePreType.CommandR, false, false, false),
            "qwen2" or "deepseek-r1-qwen" or "kormo" or "f2llmv2" => (BpePreType.Qwen2, false, false, false),
            "megrez" => (BpePreType.Qwen2, true, false, false),
            "stablelm2" => (BpePreType.StableLm2, true, false, false),
            "olmo" => (BpePreType.Olmo, true, false, false),
            "dbrx" => (BpePreType.Dbrx, true, false, false),
            "smaug-bpe" => (BpePreType.Smaug, true, false, false),
            "poro-chat" => (BpePreType.Poro, false, false, false),
            "glm4" or "chatglm-bpe" => (BpePreType.Chatglm4, true, false, false),
            "viking" => (BpePreType.Viking, false, false, false),
            "jais" => (BpePreType.Jais, true, false, false),
            "tekken" => (BpePreType.Tekken, false, true, true),
            "smollm" => (BpePreType.Smollm, false, false, false),
            "codeshell" => (BpePreType.Codeshell, true, false, false),
            "bloom" => (BpePreType.Bloom, true, false, false),
            "gpt3-finnish" => (BpePreType.Gpt3Finnish, true, false, false),
            "exaone" => (BpePreType.Exaone, true, false, false),
            "chameleon" => (BpePreType.Chameleon, false, false, true),
            "minerva-7b" => (BpePreType.Minerva, true, false, false),
            "gpt-4o" or "llama4" or "kanana2" or "talkie" => (BpePreType.Gpt4o, false, false, false),
            "superbpe" => (BpePreType.SuperBpe, false, false, false),
            "trillion" => (BpePreType.Trillion, false, false, false),
            "bailingmoe" or "bailingmoe2" or "llada-moe" => (BpePreType.BailingMoe, false, false, false),
            "seed-coder" => (BpePreType.SeedCoder, false, false, false),
            "hunyuan" => (BpePreType.Hunyuan, false, false, false),
            "hunyuan-dense" => (BpePreType.HunyuanDense, false, false, false),
            "grok-2" => (BpePreType.Grok2, false, false, false),
            _ => throw new NotSupportedException($"The pre-tokenizer '{preName}' (tokenizer.ggml.pre) is not supported."),
        };
        CleanSpaces = keepCleanSpaces;
        IgnoreMerges = ignoreMerges;
        AddBos = addBos;
    }

    private void ReadSpecialIds(GgufMetadataCollection metadata)
    {
        int Read(string key, int current)
        {
            if (current >= Count)
            {
                current = NoToken;
            }
            long? value = metadata.GetInteger("tokenizer.ggml." + key);
            if (value is null)
            {
                return current;
            }
            // llama.cpp reads the id as u32: values that do not name a token keep the default.
            ulong id = (ulong)value.Value & 0xFFFFFFFF;
            return id < (ulong)Count ? (int)id : current;
        }
        BosId = Read("bos_token_id", BosId);
        EosId = Read("eos_token_id", EosId);
        EotId = Read("eot_token_id", NoToken);
        UnknownId = Read("unknown_token_id", UnknownId);
        SeparatorId = Read("seperator_token_id", SeparatorId);
        PaddingId = Read("padding_token_id", PaddingId);
    }

    /// <summary>Marks control-looking tokens (end-of-turn, fill-in-the-middle, end-of-generation texts) as control.</summary>
    private void DetectSpecialTokens(GgufMetadataCollection metadata)
    {
        // The id the metadata gives, else the first token with one of the candidate texts, marked as control.
        int Find(string[] candidates, params string[] keys)
        {
            foreach (string key in keys)
            {
                if (metadata.GetInteger("tokenizer.ggml." + key) is { } given && (ulong)given < (ulong)Count)
                {
                    return (int)given;
                }
            }
            for (int id = 0; id < Count; id++)
            {
                if (Array.IndexOf(candidates, Encoding.UTF8.GetString(Texts[id])) >= 0)
                {
                    Attributes[id] |= TokenAttributes.Control;
                    return id;
                }
            }
            return NoToken;
        }
        if (EotId == NoToken)
        {
            Find(EotTexts);
        }
        int eom = Find(["<|eom_id|>"], "eom_token_id");
        Find(FimPreTexts, "fim_pre_token_id", "prefix_token_id");
        Find(FimSufTexts, "fim_suf_token_id", "suffix_token_id");
        Find(FimMidTexts, "fim_mid_token_id", "middle_token_id");
        // llama.cpp ends generation at the FIM pad, repo and file-separator tokens.
        foreach (int fim in new[] { Find(FimPadTexts, "fim_pad_token_id"), Find(FimRepTexts, "fim_rep_token_id"), Find(FimSepTexts, "fim_sep_token_id") })
        {
            if (fim != NoToken)
            {
                EndOfGenerationIds.Add(fim);
            }
        }

        for (int id = 0; id < Count; id++)
        {
            if ((Attributes[id] & TokenAttributes.Control) != 0 && (Attributes[id] & TokenAttributes.Unused) == 0
                && Texts[id].AsSpan().IndexOf("unused"u8) >= 0)
            {
                Attributes[id] |= TokenAttributes.Unused;
            }
        }

        for (int id = 0; id < Count; id++)
        {
            string text = Encoding.UTF8.GetString(Texts[id]);
            if (Array.IndexOf(EogTexts, text) >= 0)
            {
                EndOfGenerationIds.Add(id);
                Attributes[id] |= TokenAttributes.Control;
            }
            if (text is "<|channel|>" or "<|message|>" or "<|start|>" or "<|constrain|>")
            {
                Attributes[id] = TokenAttributes.UserDefined;
            }
        }
        if (EosId != NoToken)
        {
            EndOfGenerationIds.Add(EosId);
        }
        if (EotId != NoToken)
        {
            EndOfGenerationIds.Add(EotId);
        }
        if (eom != NoToken)
        {
            EndOfGenerationIds.Add(eom);
        }

        // o200k_harmony and solar-open: "<|end|>" is not an end of generation when "<|return|>"/"<|call|>" exist.
        int Eog(string text) => EndOfGenerationIds.FirstOrDefault(t => Encoding.UTF8.GetString(Texts[t]) == text, NoToken);
        int end = Eog("<|end|>");
        bool hasCall = Eog("<|call|>") != NoToken || Eog("<|calls|>") != NoToken;
        if (end != NoToken && hasCall && (Eog("<|return|>") != NoToken || Eog("<|flush|>") != NoToken))
        {
            EndOfGenerationIds.Remove(end);
            Attributes[end] = TokenAttributes.UserDefined;
        }
        int closing = Eog("</s>");
        if (closing != NoToken && Eog("<|tool_response>") != NoToken)
        {
            EndOfGenerationIds.Remove(closing);
            Attributes[closing] = TokenAttributes.Normal;
        }
    }

    private bool HasId(GgufMetadataCollection metadata, string key) =>
        metadata.GetInteger("tokenizer.ggml." + key) is { } id && (ulong)id < (ulong)Count;

    private void BuildSpecialTokenCache()
    {
        const TokenAttributes special = TokenAttributes.Control | TokenAttributes.UserDefined | TokenAttributes.Unknown;
        SpecialTokensByLength = Enumerable.Range(0, Count)
            .Where(id => (Attributes[id] & special) != 0)
            .OrderByDescending(id => Texts[id].Length)
            .ThenBy(id => id)
            .ToArray();
    }

    private void ApplyModelSpecificAttributes(GgufMetadataCollection metadata)
    {
        string name = (metadata.GetString("general.name") ?? "").ToLowerInvariant();
        string architecture = metadata.GetString("general.architecture") ?? "";
        void Set(string text, TokenAttributes attribute, bool value)
        {
            int id = Find(Encoding.UTF8.GetBytes(text));
            if (id == NoToken)
            {
                if (value)
                {
                    return;
                }
                throw new InvalidDataException($"The vocabulary lacks the token '{text}'.");
            }
            Attributes[id] = value ? Attributes[id] | attribute : Attributes[id] & ~attribute;
        }

        if (PreTokenizerName.Contains("jina-v2-de") || PreTokenizerName.Contains("jina-v2-es") || PreTokenizerName.Contains("jina-v2-code")
            || architecture.Contains("nomic-bert-moe") || architecture.Contains("jina-bert-v3"))
        {
            Set("<mask>", TokenAttributes.LeftStrip, true);
        }
        else if (name.Contains("phi-3") || name.Contains("phi3"))
        {
            foreach (int id in SpecialTokensByLength)
            {
                Attributes[id] |= TokenAttributes.RightStrip;
            }
            Set("</s>", TokenAttributes.RightStrip, true);
            foreach (string text in new[] { "<unk>", "<s>", "<|endoftext|>" })
            {
                int id = Find(Encoding.UTF8.GetBytes(text));
                if (id != NoToken)
                {
                    Attributes[id] &= ~TokenAttributes.RightStrip;
                }
            }
        }
        else if (name.Contains("modern-bert"))
        {
            Set("[MASK]", TokenAttributes.LeftStrip, true);
        }
    }

    /// <summary>The elements of a string array as their raw bytes (tokens need not be valid UTF-8), or null.</summary>
    private static byte[][]? ReadStringArray(GgufMetadataCollection metadata, string key)
    {
        var entry = metadata.GetEntry(key);
        if (entry is null || entry.ValueType != GgufValueType.Array || entry.ElementType != GgufValueType.String)
        {
            return null;
        }
        if (!entry.HasEncodedValue)
        {
            return ((string[])entry.Value).Select(Encoding.UTF8.GetBytes).ToArray();
        }
        var raw = entry.EncodedValue;
        long count = (long)BinaryPrimitives.ReadUInt64LittleEndian(raw[4..]);
        var result = new byte[count][];
        int pos = 12;
        for (long i = 0; i < count; i++)
        {
            int length = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(raw[pos..]));
            result[i] = raw.Slice(pos + 8, length).ToArray();
            pos += 8 + length;
        }
        return result;
    }
}
