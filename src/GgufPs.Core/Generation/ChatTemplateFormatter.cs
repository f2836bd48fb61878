using System.Text;

namespace GgufPs.Generation;

/// <summary>
/// llama.cpp's llm_chat_apply_template: each built-in format written out by hand, as llama.cpp does without a
/// Jinja engine. trim() removes C's isspace characters and upper-casing is ASCII, as in llama-chat.cpp.
/// </summary>
internal static class ChatTemplateFormatter
{
    public static string Format(ChatTemplateKind kind, IReadOnlyList<ChatMessage> chat, bool addAssistant)
    {
        var s = new StringBuilder();
        switch (kind)
        {
            case ChatTemplateKind.ChatMl:
                foreach (var m in chat)
                {
                    s.Append("<|im_start|>").Append(m.Role).Append('\n').Append(m.Content).Append("<|im_end|>\n");
                }
                if (addAssistant)
                {
                    s.Append("<|im_start|>assistant\n");
                }
                break;

            case ChatTemplateKind.MistralV7 or ChatTemplateKind.MistralV7Tekken:
            {
                string space = kind == ChatTemplateKind.MistralV7 ? " " : "";
                foreach (var m in chat)
                {
                    if (m.Role == "system")
                    {
                        s.Append("[SYSTEM_PROMPT]").Append(space).Append(m.Content).Append("[/SYSTEM_PROMPT]");
                    }
                    else if (m.Role == "user")
                    {
                        s.Append("[INST]").Append(space).Append(m.Content).Append("[/INST]");
                    }
                    else
                    {
                        s.Append(space).Append(m.Content).Append("</s>");
                    }
                }
                break;
            }

            case ChatTemplateKind.MistralV1 or ChatTemplateKind.MistralV3 or ChatTemplateKind.MistralV3Tekken:
            {
                string leading = kind == ChatTemplateKind.MistralV1 ? " " : "";
                string trailing = kind == ChatTemplateKind.MistralV3Tekken ? "" : " ";
                bool trimAssistant = kind == ChatTemplateKind.MistralV3;
                bool insideTurn = false;
                foreach (var m in chat)
                {
                    if (!insideTurn)
                    {
                        s.Append(leading).Append("[INST]").Append(trailing);
                        insideTurn = true;
                    }
                    if (m.Role == "system")
                    {
                        s.Append(m.Content).Append("\n\n");
                    }
                    else if (m.Role == "user")
                    {
                        s.Append(m.Content).Append(leading).Append("[/INST]");
                    }
                    else
                    {
                        s.Append(trailing).Append(trimAssistant ? Trim(m.Content) : m.Content).Append("</s>");
                        insideTurn = false;
                    }
                }
                break;
            }

            case ChatTemplateKind.Llama2 or ChatTemplateKind.Llama2Sys or ChatTemplateKind.Llama2SysBos or ChatTemplateKind.Llama2SysStrip:
            {
                bool systemSupported = kind != ChatTemplateKind.Llama2;
                bool bosInsideHistory = kind == ChatTemplateKind.Llama2SysBos;
                bool strip = kind == ChatTemplateKind.Llama2SysStrip;
                bool insideTurn = true;
                s.Append("[INST] ");
                foreach (var m in chat)
                {
                    string content = strip ? Trim(m.Content) : m.Content;
                    if (!insideTurn)
                    {
                        insideTurn = true;
                        s.Append(bosInsideHistory ? "<s>[INST] " : "[INST] ");
                    }
                    if (m.Role == "system")
                    {
                        if (systemSupported)
                        {
                            s.Append("<<SYS>>\n").Append(content).Append("\n<</SYS>>\n\n");
                        }
                        else
                        {
                            s.Append(content).Append('\n');
                        }
                    }
                    else if (m.Role == "user")
                    {
                        s.Append(content).Append(" [/INST]");
                    }
                    else
                    {
                        s.Append(content).Append("</s>");
                        insideTurn = false;
                    }
                }
                break;
            }

            case ChatTemplateKind.Phi3:
                foreach (var m in chat)
                {
                    s.Append("<|").Append(m.Role).Append("|>\n").Append(m.Content).Append("<|end|>\n");
                }
                if (addAssistant)
                {
                    s.Append("<|assistant|>\n");
                }
                break;

            case ChatTemplateKind.Phi4:
                foreach (var m in chat)
                {
                    s.Append("<|im_start|>").Append(m.Role).Append("<|im_sep|>").Append(m.Content).Append("<|im_end|>");
                }
                if (addAssistant)
                {
                    s.Append("<|im_start|>assistant<|im_sep|>");
                }
                break;

            case ChatTemplateKind.Falcon3:
                foreach (var m in chat)
                {
                    s.Append("<|").Append(m.Role).Append("|>\n").Append(m.Content).Append('\n');
                }
                if (addAssistant)
                {
                    s.Append("<|assistant|>\n");
                }
                break;

            case ChatTemplateKind.Zephyr:
                foreach (var m in chat)
                {
                    s.Append("<|").Append(m.Role).Append("|>\n").Append(m.Content).Append("<|endoftext|>\n");
                }
                if (addAssistant)
                {
                    s.Append("<|assistant|>\n");
                }
                break;

            case ChatTemplateKind.Monarch:
                for (int i = 0; i < chat.Count; i++)
                {
                    s.Append(i == 0 ? "" : "<s>").Append(chat[i].Role).Append('\n').Append(chat[i].Content).Append("</s>\n");
                }
                if (addAssistant)
                {
                    s.Append("<s>assistant\n");
                }
                break;

            case ChatTemplateKind.Gemma:
            {
                string system = "";
                foreach (var m in chat)
                {
                    if (m.Role == "system")
                    {
                        system += Trim(m.Content);
                        continue;
                    }
                    string role = m.Role == "assistant" ? "model" : m.Role;
                    s.Append("<start_of_turn>").Append(role).Append('\n');
                    if (system.Length > 0 && role != "model")
                    {
                        s.Append(system).Append("\n\n");
                        system = "";
                    }
                    s.Append(Trim(m.Content)).Append("<end_of_turn>\n");
                }
                if (addAssistant)
                {
                    s.Append("<start_of_turn>model\n");
                }
                break;
            }

            case ChatTemplateKind.Orion:
            {
                string system = "";
                foreach (var m in chat)
                {
                    if (m.Role == "system")
                    {
                        system += m.Content;
                    }
                    else if (m.Role == "user")
                    {
                        s.Append("Human: ");
                        if (system.Length > 0)
                        {
                            s.Append(system).Append("\n\n");
                            system = "";
                        }
                        s.Append(m.Content).Append("\n\nAssistant: </s>");
                    }
                    else
                    {
                        s.Append(m.Content).Append("</s>");
                    }
                }
                break;
            }

            case ChatTemplateKind.OpenChat:
                foreach (var m in chat)
                {
                    if (m.Role == "system")
                    {
                        s.Append(m.Content).Append("<|end_of_turn|>");
                    }
                    else
                    {
                        s.Append("GPT4 Correct ").Append(UpperFirst(m.Role)).Append(": ").Append(m.Content).Append("<|end_of_turn|>");
                    }
                }
                if (addAssistant)
                {
                    s.Append("GPT4 Correct Assistant:");
                }
                break;

            case ChatTemplateKind.Vicuna or ChatTemplateKind.VicunaOrca:
                foreach (var m in chat)
                {
                    if (m.Role == "system")
                    {
                        if (kind == ChatTemplateKind.VicunaOrca)
                        {
                            s.Append("SYSTEM: ").Append(m.Content).Append('\n');
                        }
                        else
                        {
                            s.Append(m.Content).Append("\n\n");
                        }
                    }
                    else if (m.Role == "user")
                    {
                        s.Append("USER: ").Append(m.Content).Append('\n');
                    }
                    else if (m.Role == "assistant")
                    {
                        s.Append("ASSISTANT: ").Append(m.Content).Append("</s>\n");
                    }
                }
                if (addAssistant)
                {
                    s.Append("ASSISTANT:");
                }
                break;

            case ChatTemplateKind.Deepseek:
                foreach (var m in chat)
                {
                    if (m.Role == "system")
                    {
                        s.Append(m.Content);
                    }
                    else if (m.Role == "user")
                    {
                        s.Append("### Instruction:\n").Append(m.Content).Append('\n');
                    }
                    else if (m.Role == "assistant")
                    {
                        s.Append("### Response:\n").Append(m.Content).Append("\n<|EOT|>\n");
                    }
                }
                if (addAssistant)
                {
                    s.Append("### Response:\n");
                }
                break;

            case ChatTemplateKind.CommandR:
                foreach (var m in chat)
                {
                    string? token = m.Role switch
                    {
                        "system" => "<|SYSTEM_TOKEN|>",
                        "user" => "<|USER_TOKEN|>",
                        "assistant" => "<|CHATBOT_TOKEN|>",
                        _ => null,
                    };
                    if (token is not null)
                    {
                        s.Append("<|START_OF_TURN_TOKEN|>").Append(token).Append(Trim(m.Content)).Append("<|END_OF_TURN_TOKEN|>");
                    }
                }
                if (addAssistant)
                {
                    s.Append("<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>");
                }
                break;

            case ChatTemplateKind.Llama3:
                foreach (var m in chat)
                {
                    s.Append("<|start_header_id|>").Append(m.Role).Append("<|end_header_id|>\n\n").Append(Trim(m.Content)).Append("<|eot_id|>");
                }
                if (addAssistant)
                {
                    s.Append("<|start_header_id|>assistant<|end_header_id|>\n\n");
                }
                break;

            case ChatTemplateKind.ChatGlm3:
                s.Append("[gMASK]sop");
                foreach (var m in chat)
                {
                    s.Append("<|").Append(m.Role).Append("|>\n ").Append(m.Content);
                }
                if (addAssistant)
                {
                    s.Append("<|assistant|>");
                }
                break;

            case ChatTemplateKind.ChatGlm4:
                s.Append("[gMASK]<sop>");
                foreach (var m in chat)
                {
                    s.Append("<|").Append(m.Role).Append("|>\n").Append(m.Content);
                }
                if (addAssistant)
                {
                    s.Append("<|assistant|>\n");
                }
                break;

            case ChatTemplateKind.GlmEdge:
                foreach (var m in chat)
                {
                    s.Append("<|").Append(m.Role).Append("|>\n").Append(m.Content);
                }
                if (addAssistant)
                {
                    s.Append("<|assistant|>");
                }
                break;

            case ChatTemplateKind.MiniCpm:
                foreach (var m in chat)
                {
                    if (m.Role == "user")
                    {
                        s.Append("<用户>").Append(Trim(m.Content)).Append("<AI>");
                    }
                    else
                    {
                        s.Append(Trim(m.Content));
                    }
                }
                break;

            case ChatTemplateKind.Deepseek2:
                foreach (var m in chat)
                {
                    if (m.Role == "system")
                    {
                        s.Append(m.Content).Append("\n\n");
                    }
                    else if (m.Role == "user")
                    {
                        s.Append("User: ").Append(m.Content).Append("\n\n");
                    }
                    else if (m.Role == "assistant")
                    {
                        s.Append("Assistant: ").Append(m.Content).Append("<｜end▁of▁sentence｜>");
                    }
                }
                if (addAssistant)
                {
                    s.Append("Assistant:");
                }
                break;

            case ChatTemplateKind.Deepseek3:
                foreach (var m in chat)
                {
                    if (m.Role == "system")
                    {
                        s.Append(m.Content).Append("\n\n");
                    }
                    else if (m.Role == "user")
                    {
                        s.Append("<｜User｜>").Append(m.Content);
                    }
                    else if (m.Role == "assistant")
                    {
                        s.Append("<｜Assistant｜>").Append(m.Content).Append("<｜end▁of▁sentence｜>");
                    }
                }
                if (addAssistant)
                {
                    s.Append("<｜Assistant｜>");
                }
                break;

            case ChatTemplateKind.DeepseekOcr:
                foreach (var m in chat)
                {
                    s.Append(m.Content);
                }
                break;

            case ChatTemplateKind.Exaone3 or ChatTemplateKind.Exaone4:
                foreach (var m in chat)
                {
                    if (m.Role == "system")
                    {
                        s.Append("[|system|]").Append(Trim(m.Content)).Append("[|endofturn|]\n");
                    }
                    else if (m.Role == "user")
                    {
                        s.Append("[|user|]").Append(Trim(m.Content)).Append('\n');
                    }
                    else if (m.Role == "assistant")
                    {
                        s.Append("[|assistant|]").Append(Trim(m.Content)).Append("[|endofturn|]\n");
                    }
                    else if (m.Role == "tool" && kind == ChatTemplateKind.Exaone4)
                    {
                        s.Append("[|tool|]").Append(Trim(m.Content)).Append("[|endofturn|]\n");
                    }
                }
                if (addAssistant)
                {
                    s.Append("[|assistant|]");
                }
                break;

            case ChatTemplateKind.ExaoneMoe:
                foreach (var m in chat)
                {
                    if (m.Role is "system" or "user" or "assistant" or "tool")
                    {
                        s.Append("<|").Append(m.Role).Append("|>\n").Append(Trim(m.Content)).Append("<|endofturn|>\n");
                    }
                }
                if (addAssistant)
                {
                    s.Append("<|assistant|>\n");
                }
                break;

            case ChatTemplateKind.RwkvWorld:
                for (int i = 0; i < chat.Count; i++)
                {
                    var m = chat[i];
                    if (m.Role == "system")
                    {
                        s.Append("System: ").Append(Trim(m.Content)).Append("\n\n");
                    }
                    else if (m.Role == "user")
                    {
                        s.Append("User: ").Append(Trim(m.Content)).Append("\n\n");
                        if (i == chat.Count - 1)
                        {
                            s.Append("Assistant:");
                        }
                    }
                    else if (m.Role == "assistant")
                    {
                        s.Append("Assistant: ").Append(Trim(m.Content)).Append("\n\n");
                    }
                }
                break;

            case ChatTemplateKind.Granite3:
                foreach (var m in chat)
                {
                    s.Append("<|start_of_role|>").Append(m.Role).Append("<|end_of_role|>");
                    if (m.Role == "assistant_tool_call")
                    {
                        s.Append("<|tool_call|>");
                    }
                    s.Append(m.Content).Append("<|end_of_text|>\n");
                }
                if (addAssistant)
                {
                    s.Append("<|start_of_role|>assistant<|end_of_role|>");
                }
                break;

            case ChatTemplateKind.Granite40 or ChatTemplateKind.Granite41:
                foreach (var m in chat)
                {
                    if (m.Role == "assistant_tool_call")
                    {
                        s.Append("<|start_of_role|>assistant<|end_of_role|><|tool_call|>");
                    }
                    else
                    {
                        s.Append("<|start_of_role|>").Append(m.Role).Append("<|end_of_role|>");
                    }
                    s.Append(m.Content).Append("<|end_of_text|>\n");
                }
                if (addAssistant)
                {
                    s.Append("<|start_of_role|>assistant<|end_of_role|>");
                }
                break;

            case ChatTemplateKind.GigaChat:
            {
                bool hasSystem = chat.Count > 0 && chat[0].Role == "system";
                s.Append("<s>");
                if (hasSystem)
                {
                    s.Append(chat[0].Content).Append("<|message_sep|>");
                }
                for (int i = hasSystem ? 1 : 0; i < chat.Count; i++)
                {
                    if (chat[i].Role == "user")
                    {
                        s.Append("user<|role_sep|>").Append(chat[i].Content).Append("<|message_sep|>")
                            .Append("available functions<|role_sep|>[]<|message_sep|>");
                    }
                    else if (chat[i].Role == "assistant")
                    {
                        s.Append("assistant<|role_sep|>").Append(chat[i].Content).Append("<|message_sep|>");
                    }
                }
                if (addAssistant)
                {
                    s.Append("assistant<|role_sep|>");
                }
                break;
            }

            case ChatTemplateKind.Megrez:
                foreach (var m in chat)
                {
                    s.Append("<|role_start|>").Append(m.Role).Append("<|role_end|>").Append(m.Content).Append("<|turn_end|>");
                }
                if (addAssistant)
                {
                    s.Append("<|role_start|>assistant<|role_end|>");
                }
                break;

            case ChatTemplateKind.Yandex:
                foreach (var m in chat)
                {
                    if (m.Role == "user")
                    {
                        s.Append(" Пользователь: ").Append(m.Content).Append("\n\n");
                    }
                    else if (m.Role == "assistant")
                    {
                        s.Append(" Ассистент: ").Append(m.Content).Append("\n\n");
                    }
                }
                if (addAssistant)
                {
                    s.Append(" Ассистент:[SEP]");
                }
                break;

            case ChatTemplateKind.Bailing or ChatTemplateKind.BailingThink:
                foreach (var m in chat)
                {
                    s.Append("<role>").Append(BailingRole(m.Role)).Append("</role>").Append(m.Content);
                }
                if (addAssistant)
                {
                    s.Append("<role>ASSISTANT</role>");
                    if (kind == ChatTemplateKind.BailingThink)
                    {
                        s.Append("<think>");
                    }
                }
                break;

            case ChatTemplateKind.Bailing2:
                if (!(chat.Count > 0 && chat[0].Role == "system"))
                {
                    s.Append("<role>SYSTEM</role>detailed thinking off<|role_end|>");
                }
                foreach (var m in chat)
                {
                    s.Append("<role>").Append(BailingRole(m.Role)).Append("</role>").Append(m.Content).Append("<|role_end|>");
                }
                if (addAssistant)
                {
                    s.Append("<role>ASSISTANT</role>");
                }
                break;

            case ChatTemplateKind.Llama4:
                foreach (var m in chat)
                {
                    s.Append("<|header_start|>").Append(m.Role).Append("<|header_end|>\n\n").Append(Trim(m.Content)).Append("<|eot|>");
                }
                if (addAssistant)
                {
                    s.Append("<|header_start|>assistant<|header_end|>\n\n");
                }
                break;

            case ChatTemplateKind.SmolVlm:
                s.Append("<|im_start|>");
                foreach (var m in chat)
                {
                    if (m.Role == "system")
                    {
                        s.Append(m.Content).Append("\n\n");
                    }
                    else if (m.Role == "user")
                    {
                        s.Append("User: ").Append(m.Content).Append("<end_of_utterance>\n");
                    }
                    else
                    {
                        s.Append("Assistant: ").Append(m.Content).Append("<end_of_utterance>\n");
                    }
                }
                if (addAssistant)
                {
                    s.Append("Assistant:");
                }
                break;

            case ChatTemplateKind.Dots1:
                foreach (var m in chat)
                {
                    if (m.Role == "system")
                    {
                        s.Append("<|system|>").Append(m.Content).Append("<|endofsystem|>");
                    }
                    else if (m.Role == "user")
                    {
                        s.Append("<|userprompt|>").Append(m.Content).Append("<|endofuserprompt|>");
                    }
                    else
                    {
                        s.Append("<|response|>").Append(m.Content).Append("<|endofresponse|>");
                    }
                }
                if (addAssistant)
                {
                    s.Append("<|response|>");
                }
                break;

            case ChatTemplateKind.HunyuanMoe:
                foreach (var m in chat)
                {
                    if (m.Role == "system")
                    {
                        s.Append("<|startoftext|>").Append(m.Content).Append("<|extra_4|>");
                    }
                    else if (m.Role == "assistant")
                    {
                        s.Append(m.Content).Append("<|eos|>");
                    }
                    else
                    {
                        s.Append("<|startoftext|>").Append(m.Content).Append("<|extra_0|>");
                    }
                }
                break;

            case ChatTemplateKind.OpenAiMoe:
                foreach (var m in chat)
                {
                    s.Append("<|start|>").Append(m.Role).Append("<|message|>").Append(m.Content)
                        .Append(m.Role == "assistant" ? "<|return|>" : "<|end|>");
                }
                if (addAssistant)
                {
                    s.Append("<|start|>assistant");
                }
                break;

            case ChatTemplateKind.HunyuanDense:
                for (int i = 0; i < chat.Count; i++)
                {
                    var m = chat[i];
                    if (i == 0 && m.Role == "system")
                    {
                        s.Append(m.Content).Append("<｜hy_place▁holder▁no▁3｜>");
                    }
                    if (m.Role == "assistant")
                    {
                        s.Append("<｜hy_Assistant｜>").Append(m.Content).Append("<｜hy_place▁holder▁no▁2｜>");
                    }
                    else if (m.Role == "user")
                    {
                        s.Append("<｜hy_User｜>").Append(m.Content).Append("<｜hy_Assistant｜>");
                    }
                }
                break;

            case ChatTemplateKind.HunyuanVl:
                s.Append("<｜hy_begin▁of▁sentence｜>");
                for (int i = 0; i < chat.Count; i++)
                {
                    var m = chat[i];
                    if (i == 0 && m.Role == "system")
                    {
                        s.Append(m.Content).Append("<｜hy_place▁holder▁no▁3｜>");
                        continue;
                    }
                    if (m.Role == "user")
                    {
                        s.Append(m.Content).Append("<｜hy_User｜>");
                    }
                    else if (m.Role == "assistant")
                    {
                        s.Append(m.Content).Append("<｜hy_Assistant｜>");
                    }
                }
                break;

            case ChatTemplateKind.KimiK2:
                foreach (var m in chat)
                {
                    s.Append(m.Role switch
                    {
                        "system" => "<|im_system|>system<|im_middle|>",
                        "user" => "<|im_user|>user<|im_middle|>",
                        "assistant" => "<|im_assistant|>assistant<|im_middle|>",
                        "tool" => "<|im_system|>tool<|im_middle|>",
                        _ => "",
                    });
                    s.Append(m.Content).Append("<|im_end|>");
                }
                if (addAssistant)
                {
                    s.Append("<|im_assistant|>assistant<|im_middle|>");
                }
                break;

            case ChatTemplateKind.SeedOss:
                foreach (var m in chat)
                {
                    s.Append("<seed:bos>").Append(m.Role).Append('\n').Append(m.Role == "assistant" ? Trim(m.Content) : m.Content).Append("<seed:eos>");
                }
                if (addAssistant)
                {
                    s.Append("<seed:bos>assistant\n");
                }
                break;

            case ChatTemplateKind.Grok2:
                foreach (var m in chat)
                {
                    if (m.Role == "system")
                    {
                        s.Append("System: ").Append(Trim(m.Content)).Append("<|separator|>\n\n");
                    }
                    else if (m.Role == "user")
                    {
                        s.Append("Human: ").Append(Trim(m.Content)).Append("<|separator|>\n\n");
                    }
                    else if (m.Role == "assistant")
                    {
                        s.Append("Assistant: ").Append(m.Content).Append("<|separator|>\n\n");
                    }
                }
                if (addAssistant)
                {
                    s.Append("Assistant:");
                }
                break;

            case ChatTemplateKind.PanguEmbedded:
                for (int i = 0; i < chat.Count; i++)
                {
                    var m = chat[i];
                    if (i == 0 && m.Role != "system")
                    {
                        s.Append("[unused9]系统：[unused10]");
                    }
                    string? label = m.Role switch
                    {
                        "system" => "系统",
                        "user" => "用户",
                        "assistant" => "助手",
                        "tool" => "工具",
                        "function" => "方法",
                        _ => null,
                    };
                    if (label is not null)
                    {
                        s.Append("[unused9]").Append(label).Append('：').Append(m.Content).Append("[unused10]");
                    }
                }
                if (addAssistant)
                {
                    s.Append("[unused9]助手：");
                }
                break;

            case ChatTemplateKind.SolarOpen:
                foreach (var m in chat)
                {
                    s.Append("<|begin|>").Append(m.Role).Append("<|content|>").Append(m.Content).Append("<|end|>");
                }
                if (addAssistant)
                {
                    s.Append("<|begin|>assistant");
                }
                break;

            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown chat template format.");
        }
        return s.ToString();
    }

    /// <summary>llama-chat.cpp's trim: C isspace (space, \t, \n, \v, \f, \r) off both ends.</summary>
    private static string Trim(string text) => text.Trim(' ', '\t', '\n', '\v', '\f', '\r');

    /// <summary>OpenChat's role[0] = toupper(role[0]) in the C locale: only an ASCII letter changes.</summary>
    private static string UpperFirst(string role) =>
        role.Length > 0 && char.IsAsciiLetterLower(role[0]) ? char.ToUpperInvariant(role[0]) + role[1..] : role;

    /// <summary>Bailing's roles: "user" becomes HUMAN, others are upper-cased byte by byte (ASCII only).</summary>
    private static string BailingRole(string role) =>
        role == "user" ? "HUMAN" : string.Create(role.Length, role, (span, r) =>
        {
            for (int i = 0; i < r.Length; i++)
            {
                span[i] = char.IsAsciiLetterLower(r[i]) ? (char)(r[i] - 32) : r[i];
            }
        });
}
