using System.Text.RegularExpressions;

namespace GgufPs.Quantization;

/// <summary>
/// llama.cpp's per-tensor type choice (llama-quant.cpp: tensor_allows_quantization, llama_tensor_get_type and
/// tensor_type_fallback) for one run over a model's tensors. The "use more bits" counters advance as tensors are
/// decided, so tensors must be decided once each, in llama.cpp's order (see <see cref="LlamaTensorOrder"/>).
/// </summary>
internal sealed class TensorTypePolicy
{
    private readonly ModelHyperparameters _model;
    private readonly LlamaFileType _fileType;
    private readonly GgmlType _defaultType;
    private readonly QuantizationOptions _options;
    private readonly IReadOnlyList<(Regex Pattern, GgmlType Type)> _overrides;
    private readonly bool _hasImportance;
    private readonly bool _hasTiedEmbeddings;
    private readonly int _attentionVCount;
    private readonly int _layerCount;
    private int _attentionV;
    private int _ffnDown;
    private int _ffnGate;
    private int _ffnUp;

    public TensorTypePolicy(ModelHyperparameters model, LlamaFileType fileType, GgmlType defaultType, QuantizationOptions options,
        IReadOnlyList<string> allTensorNames, bool hasImportance)
    {
        _model = model;
        _fileType = fileType;
        _defaultType = defaultType;
        _options = options;
        _hasImportance = hasImportance;
        // llama-quantize lower-cases the tensor-name part of --tensor-type before compiling it.
        _overrides = options.TensorTypes
            .Select(o => (new Regex(o.Key.ToLowerInvariant(), RegexOptions.CultureInvariant), o.Value))
            .ToArray();
        _hasTiedEmbeddings = true;
        foreach (string name in allTensorNames)
        {
            var category = Categorize(name);
            if (IsAttentionVLike(category))
            {
                _attentionVCount++;
            }
            if (category == TensorCategory.Output)
            {
                _hasTiedEmbeddings = false;
            }
        }
        _layerCount = (int)(model.BlockCount ?? 0);
    }

    /// <summary>A tensor-type override or forced type that does not fit a tensor's rows, which llama.cpp would reject or fail on.</summary>
    public sealed record Decision(GgmlType Type, bool Quantizable, GgmlType? Requested, string? Fallback, bool LlamaCppFails);

    /// <summary>Decides one tensor, advancing the layer counters as llama.cpp does.</summary>
    public Decision Decide(string name, GgmlType sourceType, IReadOnlyList<long> shape)
    {
        if (!AllowsQuantization(name, shape))
        {
            return new Decision(sourceType, false, null, null, false);
        }
        var category = Categorize(name);
        long rowLength = shape.Count == 0 ? 1 : shape[0];
        if (_options.TokenEmbeddingType is { } tokenType && category == TensorCategory.TokenEmbedding)
        {
            return FitForced(tokenType, rowLength, sourceType);
        }
        if (_options.OutputTensorType is { } outputType && category == TensorCategory.Output)
        {
            return FitForced(outputType, rowLength, sourceType);
        }
        var type = _defaultType;
        if (!IsBlockQuantized(_defaultType))
        {
            return new Decision(type, true, null, null, false);
        }
        bool manual = false;
        foreach (var (pattern, overrideType) in _overrides)
        {
            if (pattern.IsMatch(name))
            {
                type = overrideType;
                manual = true;
                break;
            }
        }
        if (!manual && !_options.Pure)
        {
            type = ChooseMixType(type, name, shape, category);
        }
        return Fit(type, rowLength, sourceType);
    }

    // tensor_type_fallback, made total: where llama.cpp has no fallback and throws, F16 (or F32 from an F32 source).
    private static Decision Fit(GgmlType wanted, long rowLength, GgmlType sourceType)
    {
        int blockSize = GgmlTypeInfo.Get(wanted).BlockSize;
        if (blockSize <= 1 || rowLength % blockSize == 0)
        {
            return new Decision(wanted, true, null, null, false);
        }
        GgmlType? next = wanted switch
        {
            GgmlType.IQ1_S or GgmlType.IQ1_M or GgmlType.IQ2_XXS or GgmlType.IQ2_XS or GgmlType.IQ2_S
                or GgmlType.IQ3_XXS or GgmlType.IQ3_S or GgmlType.IQ4_XS => GgmlType.IQ4_NL,
            GgmlType.Q2_0 or GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.TQ1_0 or GgmlType.TQ2_0 => GgmlType.Q4_0,
            GgmlType.Q4_K => GgmlType.Q5_0,
            GgmlType.Q5_K => GgmlType.Q5_1,
            GgmlType.Q6_K => GgmlType.Q8_0,
            _ => null,
        };
        if (next is { } chosen && rowLength % GgmlTypeInfo.Get(chosen).BlockSize == 0)
        {
            return new Decision(chosen, true, wanted, $"rows of {rowLength} are not a multiple of {blockSize}", false);
        }
        if (next is not null)
        {
            return new Decision(GgmlType.F16, true, wanted, $"rows of {rowLength} fit no block type", false);
        }
        var plain = sourceType == GgmlType.F32 ? GgmlType.F32 : GgmlType.F16;
        return new Decision(plain, true, wanted, $"rows of {rowLength} are not a multiple of {blockSize} and llama.cpp defines no fallback", true);
    }

    // llama.cpp hands forced output/token-embedding types over without a fallback and fails when they do not fit.
    private static Decision FitForced(GgmlType wanted, long rowLength, GgmlType sourceType)
    {
        var decision = Fit(wanted, rowLength, sourceType);
        return decision.Requested is null ? decision : decision with { LlamaCppFails = true };
    }

    /// <summary>llama_tensor_get_type_impl.</summary>
    private GgmlType ChooseMixType(GgmlType type, string name, IReadOnlyList<long> shape, TensorCategory category)
    {
        var ft = _fileType;
        int gqa = _model.GroupedQueryFactor;
        int experts = (int)_model.ExpertCount;
        bool falcon = _model.IsFalcon;

        if (category == TensorCategory.Output || (_hasTiedEmbeddings && category == TensorCategory.TokenEmbedding))
        {
            if (_options.OutputTensorType is { } outputType)
            {
                return outputType;
            }
            long nx = shape[0];
            int qk = GgmlTypeInfo.Get(type).BlockSize;
            if (ft == LlamaFileType.MOSTLY_MXFP4_MOE)
            {
                return GgmlType.Q8_0;
            }
            if (falcon || nx % qk != 0)
            {
                return GgmlType.Q8_0;
            }
            if (ft is LlamaFileType.MOSTLY_IQ2_XXS or LlamaFileType.MOSTLY_IQ2_XS or LlamaFileType.MOSTLY_IQ3_XXS
                or LlamaFileType.MOSTLY_IQ1_S or LlamaFileType.MOSTLY_IQ2_S or LlamaFileType.MOSTLY_IQ2_M or LlamaFileType.MOSTLY_IQ1_M)
            {
                return GgmlType.Q5_K;
            }
            return type != GgmlType.Q8_0 ? GgmlType.Q6_K : type;
        }
        if (ft == LlamaFileType.MOSTLY_MXFP4_MOE)
        {
            return shape.Count > 2 && shape[2] > 1 ? GgmlType.MXFP4 : GgmlType.Q8_0;
        }
        if (category == TensorCategory.TokenEmbedding)
        {
            if (_options.TokenEmbeddingType is { } tokenType)
            {
                return tokenType;
            }
            return ft switch
            {
                LlamaFileType.MOSTLY_IQ2_XXS or LlamaFileType.MOSTLY_IQ2_XS or LlamaFileType.MOSTLY_IQ1_S or LlamaFileType.MOSTLY_IQ1_M => GgmlType.Q2_K,
                LlamaFileType.MOSTLY_IQ2_S or LlamaFileType.MOSTLY_IQ2_M or LlamaFileType.MOSTLY_IQ3_XXS => GgmlType.IQ3_S,
                LlamaFileType.MOSTLY_TQ1_0 or LlamaFileType.MOSTLY_TQ2_0 => GgmlType.Q4_K,
                _ => type,
            };
        }
        if (ft is LlamaFileType.MOSTLY_IQ2_XXS or LlamaFileType.MOSTLY_IQ2_XS or LlamaFileType.MOSTLY_IQ1_S
            or LlamaFileType.MOSTLY_IQ2_S or LlamaFileType.MOSTLY_IQ2_M or LlamaFileType.MOSTLY_IQ1_M)
        {
            bool iq2sm = ft is LlamaFileType.MOSTLY_IQ2_S or LlamaFileType.MOSTLY_IQ2_M;
            if (IsAttentionVLike(category))
            {
                type = gqa >= 4 || experts >= 4 ? GgmlType.Q4_K : iq2sm ? GgmlType.IQ3_S : GgmlType.Q2_K;
                _attentionV++;
            }
            else if (experts == 8 && category == TensorCategory.AttentionK)
            {
                type = GgmlType.Q4_K;
            }
            else if (category == TensorCategory.FeedForwardDown)
            {
                if (_ffnDown < _layerCount / 8)
                {
                    type = iq2sm ? GgmlType.IQ3_S : GgmlType.Q2_K;
                }
                _ffnDown++;
            }
            else if (category == TensorCategory.AttentionOutput)
            {
                if (experts == 8)
                {
                    type = GgmlType.Q5_K;
                }
                else if (ft is LlamaFileType.MOSTLY_IQ1_S or LlamaFileType.MOSTLY_IQ1_M)
                {
                    type = GgmlType.IQ2_XXS;
                }
                else if (iq2sm)
                {
                    type = GgmlType.IQ3_S;
                }
            }
            return type;
        }
        if (IsAttentionVLike(category))
        {
            if (ft == LlamaFileType.MOSTLY_Q2_K)
            {
                type = gqa >= 4 ? GgmlType.Q4_K : GgmlType.Q3_K;
            }
            else if (ft == LlamaFileType.MOSTLY_Q2_K_S && gqa >= 4)
            {
                type = GgmlType.Q4_K;
            }
            else if (ft == LlamaFileType.MOSTLY_IQ3_XXS)
            {
                type = gqa >= 4 ? GgmlType.Q4_K : !_hasImportance ? GgmlType.IQ3_S : GgmlType.IQ3_XXS;
            }
            else if (ft is LlamaFileType.MOSTLY_IQ3_XS or LlamaFileType.MOSTLY_IQ3_S && gqa >= 4)
            {
                type = GgmlType.Q4_K;
            }
            else if (ft == LlamaFileType.MOSTLY_IQ3_M)
            {
                type = GgmlType.Q4_K;
            }
            else if (ft == LlamaFileType.MOSTLY_Q3_K_M)
            {
                type = _attentionV < 2 ? GgmlType.Q5_K : GgmlType.Q4_K;
            }
            else if (ft == LlamaFileType.MOSTLY_Q3_K_L)
            {
                type = GgmlType.Q5_K;
            }
            else if (ft is LlamaFileType.MOSTLY_IQ4_NL or LlamaFileType.MOSTLY_IQ4_XS && gqa >= 4)
            {
                type = GgmlType.Q5_K;
            }
            else if (ft is LlamaFileType.MOSTLY_Q4_K_M or LlamaFileType.MOSTLY_Q5_K_M && UseMoreBits(_attentionV, _attentionVCount))
            {
                type = GgmlType.Q6_K;
            }
            else if (ft == LlamaFileType.MOSTLY_Q4_K_S && _attentionV < 4)
            {
                type = GgmlType.Q5_K;
            }
            if (_model.Is70B && type is GgmlType.Q3_K or GgmlType.Q4_K)
            {
                // 8 heads share each attn_v in the 70B, so more bits there cost little.
                type = GgmlType.Q5_K;
            }
            if (experts == 8)
            {
                type = GgmlType.Q8_0;
            }
            _attentionV++;
            return type;
        }
        if (category == TensorCategory.AttentionK)
        {
            if (experts == 8)
            {
                type = GgmlType.Q8_0;
            }
            else if (ft == LlamaFileType.MOSTLY_IQ3_XS)
            {
                type = GgmlType.IQ3_XXS;
            }
            else if (ft == LlamaFileType.MOSTLY_IQ3_XXS)
            {
                type = GgmlType.IQ2_S;
            }
            return type;
        }
        if (category == TensorCategory.AttentionQ)
        {
            if (ft == LlamaFileType.MOSTLY_IQ3_XS)
            {
                type = GgmlType.IQ3_XXS;
            }
            else if (ft == LlamaFileType.MOSTLY_IQ3_XXS)
            {
                type = GgmlType.IQ2_S;
            }
            return type;
        }
        if (category == TensorCategory.FeedForwardDown)
        {
            var (layer, layers) = LayerInfo(_ffnDown, name);
            if (ft == LlamaFileType.MOSTLY_Q2_K)
            {
                type = GgmlType.Q3_K;
            }
            else if (ft == LlamaFileType.MOSTLY_Q2_K_S)
            {
                if (layer < layers / 8)
                {
                    type = GgmlType.Q4_K;
                }
            }
            else if (ft == LlamaFileType.MOSTLY_IQ3_XXS && !_hasImportance)
            {
                type = layer < layers / 8 ? GgmlType.Q4_K : GgmlType.Q3_K;
            }
            else if (ft == LlamaFileType.MOSTLY_Q3_K_M)
            {
                type = layer < layers / 16 ? GgmlType.Q5_K
                    : !falcon || UseMoreBits(layer, layers) ? GgmlType.Q4_K
                    : GgmlType.Q3_K;
            }
            else if (ft == LlamaFileType.MOSTLY_IQ3_M && (layer < layers / 8 || (experts == 8 && UseMoreBits(layer, layers))))
            {
                type = GgmlType.Q4_K;
            }
            else if (ft == LlamaFileType.MOSTLY_Q3_K_L)
            {
                type = falcon ? GgmlType.Q4_K : GgmlType.Q5_K;
            }
            else if (ft == LlamaFileType.MOSTLY_Q4_K_M)
            {
                if (falcon)
                {
                    type = layer < layers / 16 ? GgmlType.Q6_K : UseMoreBits(layer, layers) ? GgmlType.Q5_K : GgmlType.Q4_K;
                }
                else if (UseMoreBits(layer, layers))
                {
                    type = GgmlType.Q6_K;
                }
            }
            else if (layer < layers / 8 && ft is LlamaFileType.MOSTLY_IQ4_NL or LlamaFileType.MOSTLY_IQ4_XS && !_hasImportance)
            {
                type = GgmlType.Q5_K;
            }
            else if (ft == LlamaFileType.MOSTLY_Q5_K_M && UseMoreBits(layer, layers))
            {
                type = GgmlType.Q6_K;
            }
            else if (ft == LlamaFileType.MOSTLY_Q4_K_S && !falcon && layer < layers / 8)
            {
                type = GgmlType.Q5_K;
            }
            else if (ft is LlamaFileType.MOSTLY_Q4_0 or LlamaFileType.MOSTLY_Q5_0 && _hasImportance && layer < layers / 8)
            {
                // Guards the first ffn_down layers, which go wrong even with an imatrix for Q4_0/Q5_0.
                type = ft == LlamaFileType.MOSTLY_Q4_0 ? GgmlType.Q4_1 : GgmlType.Q5_1;
            }
            _ffnDown++;
            return type;
        }
        if (category == TensorCategory.AttentionOutput)
        {
            if (!falcon)
            {
                if (experts == 8)
                {
                    if (ft is LlamaFileType.MOSTLY_Q2_K or LlamaFileType.MOSTLY_IQ3_XS or LlamaFileType.MOSTLY_IQ3_XXS
                        or LlamaFileType.MOSTLY_Q3_K_S or LlamaFileType.MOSTLY_Q3_K_M or LlamaFileType.MOSTLY_IQ4_NL
                        or LlamaFileType.MOSTLY_Q4_K_S or LlamaFileType.MOSTLY_Q4_K_M or LlamaFileType.MOSTLY_IQ3_S
                        or LlamaFileType.MOSTLY_IQ3_M or LlamaFileType.MOSTLY_IQ4_XS)
                    {
                        type = GgmlType.Q5_K;
                    }
                }
                else
                {
                    type = ft switch
                    {
                        LlamaFileType.MOSTLY_Q2_K => GgmlType.Q3_K,
                        LlamaFileType.MOSTLY_IQ3_XXS => GgmlType.IQ3_S,
                        LlamaFileType.MOSTLY_Q3_K_M => GgmlType.Q4_K,
                        LlamaFileType.MOSTLY_Q3_K_L => GgmlType.Q5_K,
                        LlamaFileType.MOSTLY_IQ3_M => GgmlType.Q4_K,
                        _ => type,
                    };
                }
            }
            else if (ft == LlamaFileType.MOSTLY_Q3_K_L)
            {
                type = GgmlType.Q4_K;
            }
            return type;
        }
        if (category == TensorCategory.AttentionQkv)
        {
            return ft switch
            {
                LlamaFileType.MOSTLY_Q3_K_M or LlamaFileType.MOSTLY_Q3_K_L or LlamaFileType.MOSTLY_IQ3_M => GgmlType.Q4_K,
                LlamaFileType.MOSTLY_Q4_K_M => GgmlType.Q5_K,
                LlamaFileType.MOSTLY_Q5_K_M => GgmlType.Q6_K,
                _ => type,
            };
        }
        if (category == TensorCategory.FeedForwardGate)
        {
            var (layer, layers) = LayerInfo(_ffnGate, name);
            if (ft == LlamaFileType.MOSTLY_IQ3_XS && layer >= layers / 8 && layer < 7 * layers / 8)
            {
                type = GgmlType.IQ3_XXS;
            }
            _ffnGate++;
            return type;
        }
        if (category == TensorCategory.FeedForwardUp)
        {
            var (layer, layers) = LayerInfo(_ffnUp, name);
            if (ft == LlamaFileType.MOSTLY_IQ3_XS && layer >= layers / 8 && layer < 7 * layers / 8)
            {
                type = GgmlType.IQ3_XXS;
            }
            _ffnUp++;
            return type;
        }
        return type;
    }

    private static bool UseMoreBits(int layer, int layers) =>
        layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;

    private static readonly Regex BlockNumber = new(@"^blk\.\s*([+-]?\d+)", RegexOptions.CultureInvariant);

    // Experts are not stored in layer order, so MoE models take the layer from the name, as llama.cpp does.
    private (int Layer, int Layers) LayerInfo(int counter, string name)
    {
        if (_model.ExpertCount <= 1)
        {
            return (counter, _layerCount);
        }
        var match = BlockNumber.Match(name);
        if (!match.Success || !int.TryParse(match.Groups[1].Value, out int layer))
        {
            throw new InvalidDataException($"Cannot determine the layer of tensor '{name}'.");
        }
        if (layer < 0 || layer >= _layerCount)
        {
            throw new InvalidDataException($"Tensor '{name}' is in layer {layer}, outside the model's {_layerCount} layers.");
        }
        return (layer, _layerCount);
    }

    /// <summary>tensor_get_category.</summary>
    public static TensorCategory Categorize(string name)
    {
        if (name == "output.weight")
        {
            return TensorCategory.Output;
        }
        if (name is "token_embd.weight" or "per_layer_token_embd.weight")
        {
            return TensorCategory.TokenEmbedding;
        }
        if (name.Contains("attn_qkv.weight", StringComparison.Ordinal))
        {
            return TensorCategory.AttentionQkv;
        }
        if (name.Contains("attn_kv_b.weight", StringComparison.Ordinal))
        {
            return TensorCategory.AttentionKvB;
        }
        if (name.Contains("attn_v.weight", StringComparison.Ordinal))
        {
            return TensorCategory.AttentionV;
        }
        if (name.Contains("attn_k.weight", StringComparison.Ordinal))
        {
            return TensorCategory.AttentionK;
        }
        if (name.Contains("attn_q.weight", StringComparison.Ordinal))
        {
            return TensorCategory.AttentionQ;
        }
        if (name.Contains("attn_output.weight", StringComparison.Ordinal))
        {
            return TensorCategory.AttentionOutput;
        }
        if (name.Contains("ffn_up", StringComparison.Ordinal))
        {
            return TensorCategory.FeedForwardUp;
        }
        if (name.Contains("ffn_gate", StringComparison.Ordinal))
        {
            return TensorCategory.FeedForwardGate;
        }
        if (name.Contains("ffn_down", StringComparison.Ordinal))
        {
            return TensorCategory.FeedForwardDown;
        }
        return TensorCategory.Other;
    }

    private static bool IsAttentionVLike(TensorCategory c) =>
        c is TensorCategory.AttentionV or TensorCategory.AttentionQkv or TensorCategory.AttentionKvB;

    /// <summary>ggml_is_quantized: a block type rather than a plain float or integer type.</summary>
    public static bool IsBlockQuantized(GgmlType type)
    {
        var info = GgmlTypeInfo.Get(type);
        return info.IsKnown && info.BlockSize > 1;
    }

    private static readonly string[] NeverQuantized =
    [
        "_norm.weight", "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup", "laurel", "per_layer_model_proj",
        "ssm_conv1d", "shortconv.conv.weight", "indexer.k_proj.weight", "indexer.q_proj.weight",
        "time_mix_first.weight", "time_mix_w0.weight", "time_mix_w1.weight", "time_mix_w2.weight",
        "time_mix_v0.weight", "time_mix_v1.weight", "time_mix_v2.weight", "time_mix_a0.weight", "time_mix_a1.weight",
        "time_mix_a2.weight", "time_mix_g1.weight", "time_mix_g2.weight", "time_mix_decay_w1.weight",
        "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight", "attn_rel_b.weight", ".position_embd", "sam.pos_embd",
        "sam.neck.", "sam.net_", ".rel_pos", ".patch_embd", ".patch_merger", "a.rvq.codebook", "mm.a.code_embd",
    ];

    /// <summary>tensor_allows_quantization: 2-D and 3-D weights, minus norms, gates, positional tables and the like.</summary>
    public bool AllowsQuantization(string name, IReadOnlyList<long> shape)
    {
        if (_options.Preset.IsCopy || GgmlDimensions(shape) < 2)
        {
            return false;
        }
        if (!name.EndsWith("weight", StringComparison.Ordinal))
        {
            return false;
        }
        if (_options.LeaveOutputTensor && name == "output.weight")
        {
            return false;
        }
        if (name is "position_embd.weight" or "token_types.weight")
        {
            return false;
        }
        foreach (string part in NeverQuantized)
        {
            if (name.Contains(part, StringComparison.Ordinal))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>ggml_n_dims: dimensions up to the last one larger than 1 (at least 1).</summary>
    public static int GgmlDimensions(IReadOnlyList<long> shape)
    {
        for (int i = shape.Count - 1; i >= 1; i--)
        {
            if (shape[i] > 1)
            {
                return i + 1;
            }
        }
        return 1;
    }
}
