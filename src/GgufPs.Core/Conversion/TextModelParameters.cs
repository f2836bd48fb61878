using System.Text.Json;

namespace GgufPs.Conversion;

/// <summary>
/// convert_hf_to_gguf's TextModel.set_gguf_parameters: the hyperparameters every text model writes, looked up
/// under the names the various config classes use, in the converter's key order.
/// </summary>
internal static class TextModelParameters
{
    /// <summary>Defaults that transformers' config class fills in when config.json omits a key.</summary>
    public sealed record Defaults(long? ContextLength, double? RmsNormEps, double? RopeTheta);

    public static void Write(GgufMetadataBuilder m, string arch, HfConfig c, long blockCount, LlamaFileType fileType, Defaults defaults)
    {
        m.UInt32($"{arch}.block_count", blockCount);
        if ((c.FindInteger("max_position_embeddings", "n_ctx", "n_positions", "max_length", "max_sequence_length", "model_max_length") ?? defaults.ContextLength) is { } ctx)
        {
            m.UInt32($"{arch}.context_length", ctx);
        }
        if (c.FindInteger("hidden_size", "n_embd", "dim") is { } embd)
        {
            m.UInt32($"{arch}.embedding_length", embd);
        }
        if (c.FindInteger("intermediate_size", "n_inner", "hidden_dim") is { } ff)
        {
            m.UInt32($"{arch}.feed_forward_length", ff);
        }
        long? heads = c.FindInteger("num_attention_heads", "n_head", "n_heads");
        if (heads is { } h)
        {
            m.UInt32($"{arch}.attention.head_count", h);
        }
        // transformers' llama-family configs default the KV head count to the head count.
        if ((c.FindInteger("num_key_value_heads", "n_kv_heads") ?? heads) is { } kv)
        {
            m.UInt32($"{arch}.attention.head_count_kv", kv);
        }
        if (c.GetBool("is_causal") == false)
        {
            m.Bool($"{arch}.attention.causal", false);
        }
        var rope = RopeParameters(c);
        if (rope.TryGetValue("rope_type", out var typeElement) && typeElement.ValueKind == JsonValueKind.String)
        {
            string type = typeElement.GetString()!;
            double? factor = Number(rope, "factor");
            if (type == "linear" && factor is { } linear)
            {
                m.String($"{arch}.rope.scaling.type", "linear");
                m.Float32($"{arch}.rope.scaling.factor", linear);
            }
            else if (type == "yarn" && factor is { } yarn)
            {
                m.String($"{arch}.rope.scaling.type", "yarn");
                m.Float32($"{arch}.rope.scaling.factor", yarn);
                m.UInt32($"{arch}.rope.scaling.original_context_length",
                    (long)(Number(rope, "original_max_position_embeddings") ?? throw new ModelFormatException(c.Path, "yarn rope scaling lacks original_max_position_embeddings")));
                if (Number(rope, "extrapolation_factor") is { } ext) m.Float32($"{arch}.rope.scaling.yarn_ext_factor", ext);
                if ((Number(rope, "attention_factor") ?? Number(rope, "attn_factor")) is { } attn) m.Float32($"{arch}.rope.scaling.yarn_attn_factor", attn);
                if (Number(rope, "beta_fast") is { } fast) m.Float32($"{arch}.rope.scaling.yarn_beta_fast", fast);
                if (Number(rope, "beta_slow") is { } slow) m.Float32($"{arch}.rope.scaling.yarn_beta_slow", slow);
            }
            else if (type is "su" or "longrope")
            {
                m.String($"{arch}.rope.scaling.type", "longrope");
            }
        }
        if ((Number(rope, "rope_theta") ?? c.FindNumber("rope_theta", "rotary_emb_base") ?? defaults.RopeTheta) is { } theta)
        {
            m.Float32($"{arch}.rope.freq_base", theta);
        }
        if ((c.FindNumber("rms_norm_eps", "norm_eps") ?? defaults.RmsNormEps) is { } rms)
        {
            m.Float32($"{arch}.attention.layer_norm_rms_epsilon", rms);
        }
        if (c.FindNumber("layer_norm_eps", "layer_norm_epsilon", "norm_epsilon") is { } eps)
        {
            m.Float32($"{arch}.attention.layer_norm_epsilon", eps);
        }
        if (c.FindInteger("num_local_experts", "num_experts") is { } experts)
        {
            m.UInt32($"{arch}.expert_count", experts);
        }
        if (c.FindInteger("num_experts_per_tok", "num_experts_per_token", "top_k_experts") is { } used)
        {
            m.UInt32($"{arch}.expert_used_count", used);
        }
        if (c.FindInteger("head_dim") is { } headDim)
        {
            m.UInt32($"{arch}.attention.key_length", headDim);
            m.UInt32($"{arch}.attention.value_length", headDim);
        }
        m.UInt32("general.file_type", (int)fileType);
    }

    /// <summary>"rope_parameters" (transformers 5) or "rope_scaling", with "type" read as "rope_type".</summary>
    public static Dictionary<string, JsonElement> RopeParameters(HfConfig c)
    {
        var result = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var section = c.Get("rope_parameters") ?? c.Get("rope_scaling");
        if (section is { ValueKind: JsonValueKind.Object } s)
        {
            // Per-attention-kind parameters: the full-attention ones apply.
            if (s.TryGetProperty("full_attention", out var full) && full.ValueKind == JsonValueKind.Object)
            {
                s = full;
            }
            foreach (var p in s.EnumerateObject())
            {
                result[p.Name] = p.Value;
            }
        }
        if (!result.ContainsKey("rope_type") && result.TryGetValue("type", out var t))
        {
            result["rope_type"] = t;
        }
        return result;
    }

    private static double? Number(Dictionary<string, JsonElement> d, string key) =>
        d.TryGetValue(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
}
