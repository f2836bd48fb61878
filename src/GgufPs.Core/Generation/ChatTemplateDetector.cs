namespace GgufPs.Generation;

/// <summary>
/// llama.cpp's llm_chat_detect_template: a built-in name, or the first of its substring rules a template text
/// (usually a model's Jinja tokenizer.chat_template) matches. The rules and their order are llama.cpp's.
/// </summary>
internal static class ChatTemplateDetector
{
    /// <summary>The names llama_chat_apply_template accepts, in its std::map order, and the format each stands for.</summary>
    public static readonly SortedDictionary<string, ChatTemplateKind> Names = new(StringComparer.Ordinal)
    {
        ["chatml"] = ChatTemplateKind.ChatMl,
        ["llama2"] = ChatTemplateKind.Llama2,
        ["llama2-sys"] = ChatTemplateKind.Llama2Sys,
        ["llama2-sys-bos"] = ChatTemplateKind.Llama2SysBos,
        ["llama2-sys-strip"] = ChatTemplateKind.Llama2SysStrip,
        ["mistral-v1"] = ChatTemplateKind.MistralV1,
        ["mistral-v3"] = ChatTemplateKind.MistralV3,
        ["mistral-v3-tekken"] = ChatTemplateKind.MistralV3Tekken,
        ["mistral-v7"] = ChatTemplateKind.MistralV7,
        ["mistral-v7-tekken"] = ChatTemplateKind.MistralV7Tekken,
        ["phi3"] = ChatTemplateKind.Phi3,
        ["phi4"] = ChatTemplateKind.Phi4,
        ["falcon3"] = ChatTemplateKind.Falcon3,
        ["zephyr"] = ChatTemplateKind.Zephyr,
        ["monarch"] = ChatTemplateKind.Monarch,
        ["gemma"] = ChatTemplateKind.Gemma,
        ["orion"] = ChatTemplateKind.Orion,
        ["openchat"] = ChatTemplateKind.OpenChat,
        ["vicuna"] = ChatTemplateKind.Vicuna,
        ["vicuna-orca"] = ChatTemplateKind.VicunaOrca,
        ["deepseek"] = ChatTemplateKind.Deepseek,
        ["deepseek2"] = ChatTemplateKind.Deepseek2,
        ["deepseek3"] = ChatTemplateKind.Deepseek3,
        ["deepseek-ocr"] = ChatTemplateKind.DeepseekOcr,
        ["command-r"] = ChatTemplateKind.CommandR,
        ["llama3"] = ChatTemplateKind.Llama3,
        ["chatglm3"] = ChatTemplateKind.ChatGlm3,
        ["chatglm4"] = ChatTemplateKind.ChatGlm4,
        ["glmedge"] = ChatTemplateKind.GlmEdge,
        ["minicpm"] = ChatTemplateKind.MiniCpm,
        ["exaone3"] = ChatTemplateKind.Exaone3,
        ["exaone4"] = ChatTemplateKind.Exaone4,
        ["exaone-moe"] = ChatTemplateKind.ExaoneMoe,
        ["rwkv-world"] = ChatTemplateKind.RwkvWorld,
        ["granite"] = ChatTemplateKind.Granite3,
        ["granite-4.0"] = ChatTemplateKind.Granite40,
        ["granite-4.1"] = ChatTemplateKind.Granite41,
        ["gigachat"] = ChatTemplateKind.GigaChat,
        ["megrez"] = ChatTemplateKind.Megrez,
        ["yandex"] = ChatTemplateKind.Yandex,
        ["bailing"] = ChatTemplateKind.Bailing,
        ["bailing-think"] = ChatTemplateKind.BailingThink,
        ["bailing2"] = ChatTemplateKind.Bailing2,
        ["llama4"] = ChatTemplateKind.Llama4,
        ["smolvlm"] = ChatTemplateKind.SmolVlm,
        ["hunyuan-moe"] = ChatTemplateKind.HunyuanMoe,
        ["gpt-oss"] = ChatTemplateKind.OpenAiMoe,
        ["hunyuan-dense"] = ChatTemplateKind.HunyuanDense,
        ["hunyuan-vl"] = ChatTemplateKind.HunyuanVl,
        ["kimi-k2"] = ChatTemplateKind.KimiK2,
        ["seed_oss"] = ChatTemplateKind.SeedOss,
        ["grok-2"] = ChatTemplateKind.Grok2,
        ["pangu-embedded"] = ChatTemplateKind.PanguEmbedded,
        ["solar-open"] = ChatTemplateKind.SolarOpen,
    };

    /// <summary>The format a name or template text stands for, or null when llama.cpp recognises neither.</summary>
    public static ChatTemplateKind? Detect(string template)
    {
        if (Names.TryGetValue(template, out var named))
        {
            return named;
        }
        bool Has(string part) => template.Contains(part, StringComparison.Ordinal);

        if (Has("<|im_start|>"))
        {
            return Has("<|im_sep|>") ? ChatTemplateKind.Phi4
                : Has("<end_of_utterance>") ? ChatTemplateKind.SmolVlm
                : ChatTemplateKind.ChatMl;
        }
        if (template.StartsWith("mistral", StringComparison.Ordinal) || Has("[INST]"))
        {
            if (Has("[SYSTEM_PROMPT]"))
            {
                return ChatTemplateKind.MistralV7;
            }
            if (Has("' [INST] ' + system_message") || Has("[AVAILABLE_TOOLS]"))
            {
                return Has(" [INST]") ? ChatTemplateKind.MistralV1
                    : Has("\"[INST]\"") ? ChatTemplateKind.MistralV3Tekken
                    : ChatTemplateKind.MistralV3;
            }
            return Has("content.strip()") ? ChatTemplateKind.Llama2SysStrip
                : Has("bos_token + '[INST]") ? ChatTemplateKind.Llama2SysBos
                : Has("<<SYS>>") ? ChatTemplateKind.Llama2Sys
                : ChatTemplateKind.Llama2;
        }
        if (Has("<|assistant|>") && Has("<|end|>"))
        {
            return ChatTemplateKind.Phi3;
        }
        if (Has("[gMASK]<sop>"))
        {
            return ChatTemplateKind.ChatGlm4;
        }
        if (Has("<|assistant|>") && Has("<|user|>"))
        {
            return Has("<|tool_declare|>") ? ChatTemplateKind.ExaoneMoe
                : Has("</s>") ? ChatTemplateKind.Falcon3
                : ChatTemplateKind.GlmEdge;
        }
        if (Has("<|{{ item['role'] }}|>") && Has("<|begin_of_image|>"))
        {
            return ChatTemplateKind.GlmEdge;
        }
        if (Has("<|user|>") && Has("<|endoftext|>"))
        {
            return ChatTemplateKind.Zephyr;
        }
        if (Has("bos_token + message['role']"))
        {
            return ChatTemplateKind.Monarch;
        }
        if (Has("<start_of_turn>"))
        {
            return ChatTemplateKind.Gemma;
        }
        if (Has("'\\n\\nAssistant: ' + eos_token"))
        {
            return ChatTemplateKind.Orion;
        }
        if (Has("GPT4 Correct "))
        {
            return ChatTemplateKind.OpenChat;
        }
        if (Has("USER: ") && Has("ASSISTANT: "))
        {
            return Has("SYSTEM: ") ? ChatTemplateKind.VicunaOrca : ChatTemplateKind.Vicuna;
        }
        if (Has("### Instruction:") && Has("<|EOT|>"))
        {
            return ChatTemplateKind.Deepseek;
        }
        if (Has("<|START_OF_TURN_TOKEN|>") && Has("<|USER_TOKEN|>"))
        {
            return ChatTemplateKind.CommandR;
        }
        if (Has("<|start_header_id|>") && Has("<|end_header_id|>"))
        {
            return ChatTemplateKind.Llama3;
        }
        if (Has("[gMASK]sop"))
        {
            return ChatTemplateKind.ChatGlm3;
        }
        if (Has("<用户>"))
        {
            return ChatTemplateKind.MiniCpm;
        }
        if (Has("'Assistant: ' + message['content'] + eos_token"))
        {
            return ChatTemplateKind.Deepseek2;
        }
        if (Has("<｜Assistant｜>") && Has("<｜User｜>") && Has("<｜end▁of▁sentence｜>"))
        {
            return ChatTemplateKind.Deepseek3;
        }
        if (Has("[|system|]") && Has("[|assistant|]") && Has("[|endofturn|]"))
        {
            return Has("[|tool|]") ? ChatTemplateKind.Exaone4 : ChatTemplateKind.Exaone3;
        }
        if (Has("rwkv-world") || Has("{{- 'User: ' + message['content']|trim + '\\n\\n' -}}"))
        {
            return ChatTemplateKind.RwkvWorld;
        }
        if (Has("<|start_of_role|>"))
        {
            if (Has("<tool_call>") || Has("<tools>"))
            {
                return Has("g4_default_system_message") ? ChatTemplateKind.Granite40 : ChatTemplateKind.Granite41;
            }
            return ChatTemplateKind.Granite3;
        }
        if (Has("message['role'] + additional_special_tokens[0] + message['content'] + additional_special_tokens[1]"))
        {
            return ChatTemplateKind.GigaChat;
        }
        if (Has("<|role_start|>"))
        {
            return ChatTemplateKind.Megrez;
        }
        if (Has(" Ассистент:"))
        {
            return ChatTemplateKind.Yandex;
        }
        if (Has("<role>ASSISTANT</role>") && Has("'HUMAN'"))
        {
            return ChatTemplateKind.Bailing;
        }
        if (Has("<role>ASSISTANT</role>") && Has("\"HUMAN\"") && Has("<think>"))
        {
            return ChatTemplateKind.BailingThink;
        }
        if (Has("<role>ASSISTANT</role>") && Has("<role>HUMAN</role>") && Has("<|role_end|>"))
        {
            return ChatTemplateKind.Bailing2;
        }
        if (Has("<|header_start|>") && Has("<|header_end|>"))
        {
            return ChatTemplateKind.Llama4;
        }
        if (Has("<|endofuserprompt|>"))
        {
            return ChatTemplateKind.Dots1;
        }
        if (Has("<|extra_0|>") && Has("<|extra_4|>"))
        {
            return ChatTemplateKind.HunyuanMoe;
        }
        if (Has("<|start|>") && Has("<|channel|>"))
        {
            return ChatTemplateKind.OpenAiMoe;
        }
        if (Has("<｜hy_Assistant｜>") && Has("<｜hy_begin▁of▁sentence｜>"))
        {
            return ChatTemplateKind.HunyuanVl;
        }
        if (Has("<｜hy_Assistant｜>") && Has("<｜hy_place▁holder▁no▁3｜>"))
        {
            return ChatTemplateKind.HunyuanDense;
        }
        if (Has("<|im_assistant|>assistant<|im_middle|>"))
        {
            return ChatTemplateKind.KimiK2;
        }
        if (Has("<seed:bos>"))
        {
            return ChatTemplateKind.SeedOss;
        }
        if (Has("'Assistant: '  + message['content'] + '<|separator|>"))
        {
            return ChatTemplateKind.Grok2;
        }
        if (Has("[unused9]系统：[unused10]"))
        {
            return ChatTemplateKind.PanguEmbedded;
        }
        if (Has("<|begin|>") && Has("<|end|>") && Has("<|content|>"))
        {
            return ChatTemplateKind.SolarOpen;
        }
        return null;
    }
}
