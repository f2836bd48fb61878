using System.Text;
using System.Text.Json;
using GgufPs.Generation;
using GgufPs.Oracle;
using GgufPs.Tests.Tokenization;

namespace GgufPs.Tests.Generation;

/// <summary>Our chat templates against llama.cpp's llama_chat_apply_template and llm_chat_detect_template, byte for byte.</summary>
public class ChatTemplateOracleTests
{
    public static TheoryData<string> BuiltinNames => new(LlamaCppChat.BuiltinTemplates());

    public static TheoryData<string> RealTemplates => new(LoadCases().Select(c => c.Name));

    /// <summary>Conversations that reach every branch: roles each format knows and ones it does not, whitespace trim() sees, and orders the formats assume.</summary>
    private static readonly (string Role, string Content)[][] Conversations =
    [
        [("system", "You are a helpful assistant"), ("user", "Hello"), ("assistant", "Hi there"), ("user", "Who are you"),
            ("assistant", "   I am an assistant   "), ("user", "Another question")],
        [("user", "Hello")],
        [("system", "Be brief."), ("user", "Why is the sky blue?")],
        [("user", "one"), ("assistant", "two"), ("user", "three")],
        [],
        [("assistant", "I speak first"), ("system", "late system"), ("system", " second system\n"), ("user", "\t\v\f\r\n padded \n\r")],
        [("tool", "{\"ok\": true}"), ("function", "f()"), ("assistant_tool_call", "[call]"), ("tool_response", "42"), ("user", "done?")],
        [("User", "capital role"), ("mIxEd", "x"), ("", "empty role"), ("überrolle", "non-ASCII role"), ("assistant", "")],
        [("system", "\u00A0no-break spaces are not C spaces\u00A0"), ("user", "日本語のテキスト 👍🏽"), ("assistant", "Привет\n\nмир ")],
        [("user", "before\0after the NUL"), ("assistant", "line one\nline two\n")],
        [("system", "only a system message")],
        [("user", "a"), ("user", "b"), ("assistant", "c"), ("assistant", "d"), ("user", "e")],
    ];

    [Fact]
    public void BuiltinNamesAreLlamaCpps() => Assert.Equal(LlamaCppChat.BuiltinTemplates(), ChatTemplate.BuiltinNames);

    [Theory]
    [MemberData(nameof(BuiltinNames))]
    public void EveryBuiltinFormatsEveryConversationAsTheOracle(string name)
    {
        var template = ChatTemplate.Get(name);
        Assert.Equal(name, template.Name);
        var failures = new List<string>();
        foreach (var conversation in Conversations)
        {
            foreach (bool addAssistant in new[] { true, false })
            {
                CompareWithOracle(name, template, conversation, addAssistant, failures);
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>dots1 has no name in llama.cpp, only a detection rule: a text that selects it is compared instead.</summary>
    [Fact]
    public void Dots1FormatsEveryConversationAsTheOracle()
    {
        const string text = "{{ '<|userprompt|>' + content + '<|endofuserprompt|>' }}";
        Assert.Equal("dots1", LlamaCppChat.Detect(text));
        var template = ChatTemplate.Get(text);
        Assert.Equal("dots1", template.Name);
        var failures = new List<string>();
        foreach (var conversation in Conversations)
        {
            foreach (bool addAssistant in new[] { true, false })
            {
                CompareWithOracle(text, template, conversation, addAssistant, failures);
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [MemberData(nameof(RealTemplates))]
    public void RealTemplateTextsAreDetectedAndFormattedAsTheOracle(string caseName)
    {
        var testCase = LoadCases().Single(c => c.Name == caseName);
        string? expectedName = LlamaCppChat.Detect(testCase.Template);
        Assert.NotNull(expectedName);
        var template = ChatTemplate.Get(testCase.Template);
        Assert.Equal(expectedName, template.Name);
        var failures = new List<string>();
        var conversation = LoadConversation().Concat(testCase.Extra).ToArray();
        foreach (var c in new[] { conversation, Conversations[2], Conversations[5] })
        {
            foreach (bool addAssistant in new[] { true, false })
            {
                CompareWithOracle(testCase.Template, template, c, addAssistant, failures);
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>
    /// Every detection substring alone and with every other: a missing rule, a wrong rule order or a changed substring
    /// gives a different template for some pair.
    /// </summary>
    [Fact]
    public void DetectionMatchesTheOracleOnEveryPairOfRuleSubstrings()
    {
        string[] parts =
        [
            "<|im_start|>", "<|im_sep|>", "<end_of_utterance>", "mistral", "[INST]", "[SYSTEM_PROMPT]", "' [INST] ' + system_message",
            "[AVAILABLE_TOOLS]", " [INST]", "\"[INST]\"", "<<SYS>>", "bos_token + '[INST]", "content.strip()", "<|assistant|>", "<|end|>",
            "[gMASK]<sop>", "<|user|>", "<|tool_declare|>", "</s>", "<|{{ item['role'] }}|>", "<|begin_of_image|>", "<|endoftext|>",
            "bos_token + message['role']", "<start_of_turn>", "'\\n\\nAssistant: ' + eos_token", "GPT4 Correct ", "USER: ", "ASSISTANT: ",
            "SYSTEM: ", "### Instruction:", "<|EOT|>", "<|START_OF_TURN_TOKEN|>", "<|USER_TOKEN|>", "<|start_header_id|>",
            "<|end_header_id|>", "[gMASK]sop", "<用户>", "'Assistant: ' + message['content'] + eos_token", "<｜Assistant｜>", "<｜User｜>",
            "<｜end▁of▁sentence｜>", "[|system|]", "[|assistant|]", "[|endofturn|]", "[|tool|]", "rwkv-world",
            "{{- 'User: ' + message['content']|trim + '\\n\\n' -}}", "<|start_of_role|>", "<tool_call>", "<tools>",
            "g4_default_system_message", "message['role'] + additional_special_tokens[0] + message['content'] + additional_special_tokens[1]",
            "<|role_start|>", " Ассистент:", "<role>ASSISTANT</role>", "'HUMAN'", "\"HUMAN\"", "<think>", "<role>HUMAN</role>",
            "<|role_end|>", "<|header_start|>", "<|header_end|>", "<|endofuserprompt|>", "<|startoftext|>", "<|extra_0|>", "<|extra_4|>",
            "<|start|>", "<|channel|>", "<｜hy_Assistant｜>", "<｜hy_begin▁of▁sentence｜>", "<｜hy_place▁holder▁no▁3｜>",
            "<|im_assistant|>assistant<|im_middle|>", "<seed:bos>", "'Assistant: '  + message['content'] + '<|separator|>",
            "[unused9]系统：[unused10]", "<|begin|>", "<|content|>", "<|im_middle|>", "[unused9]", "<s>",
        ];
        var failures = new List<string>();
        void Check(string text)
        {
            string? expected = LlamaCppChat.Detect(text);
            string? actual = ChatTemplate.TryGet(text, out var t) ? t.Name : null;
            if (expected != actual)
            {
                failures.Add($"'{text}': llama.cpp {expected ?? "(none)"}, ours {actual ?? "(none)"}");
            }
        }
        foreach (string a in parts)
        {
            Check(a);
            foreach (string b in parts)
            {
                Check(a + " " + b);
            }
        }
        foreach (string name in ChatTemplate.BuiltinNames)
        {
            Check(name.ToUpperInvariant());
            Check(name + " ");
            Check("x" + name);
        }
        Check("");
        Check("mistral-v99");
        Check("INVALID TEMPLATE");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(30)));
    }

    [Fact]
    public void UnknownTemplatesAreRefusedWithTheSupportedNames()
    {
        Assert.Null(LlamaCppChat.Apply("INVALID TEMPLATE", [("user", "hi")], true));
        var error = Assert.Throws<UnknownChatTemplateException>(() => ChatTemplate.Get("INVALID TEMPLATE"));
        Assert.Equal("INVALID TEMPLATE", error.Template);
        Assert.Contains("INVALID TEMPLATE", error.Message);
        foreach (string name in ChatTemplate.BuiltinNames)
        {
            Assert.Contains(name, error.Message);
        }
        Assert.False(ChatTemplate.TryGet("{{ messages }}", out _));
    }

    [Fact]
    public void AModelsTemplateIsReadFromItsMetadataAsLlamaCppReadsIt()
    {
        foreach (string name in VocabFixtures.Names)
        {
            string path = VocabFixtures.Path(name);
            using var file = GgufFile.Open(path);
            using var model = LlamaCppOracle.LoadModel(path, vocabOnly: true)!;
            Assert.Equal(model.ChatTemplate(), ChatTemplate.FromMetadata(file.Metadata));
        }
        using var phi3 = GgufFile.Open(VocabFixtures.Path("phi-3"));
        string text = ChatTemplate.FromMetadata(phi3.Metadata)!;
        Assert.Equal(LlamaCppChat.Detect(text), ChatTemplate.Get(text).Name);
    }

    private static void CompareWithOracle(string nameOrText, ChatTemplate template, (string Role, string Content)[] conversation, bool addAssistant, List<string> failures)
    {
        byte[]? expected = LlamaCppChat.Apply(nameOrText, conversation, addAssistant);
        string actual = template.Apply(conversation.Select(m => new ChatMessage(m.Role, m.Content)).ToArray(), addAssistant);
        if (expected is null)
        {
            failures.Add($"llama.cpp refused {template.Name} with [{string.Join(", ", conversation.Select(m => m.Role))}]");
            return;
        }
        if (!expected.AsSpan().SequenceEqual(Encoding.UTF8.GetBytes(actual)))
        {
            failures.Add($"{template.Name}, add_ass {addAssistant}, [{string.Join(", ", conversation.Select(m => m.Role))}]:\n  llama.cpp: {Show(Encoding.UTF8.GetString(expected))}\n  ours:      {Show(actual)}");
        }
    }

    private static string Show(string s) => s.Replace("\n", "\\n").Replace("\r", "\\r").Replace("\0", "\\0");

    private sealed record TemplateCase(string Name, string Template, (string Role, string Content)[] Extra);

    private static JsonDocument LoadDocument() =>
        JsonDocument.Parse(File.ReadAllBytes(FixturePaths.Get("chat", "test-chat-template.json")));

    private static (string Role, string Content)[] LoadConversation()
    {
        using var doc = LoadDocument();
        return ReadPairs(doc.RootElement.GetProperty("conversation"));
    }

    private static List<TemplateCase> LoadCases()
    {
        using var doc = LoadDocument();
        return doc.RootElement.GetProperty("cases").EnumerateArray()
            .Select(c => new TemplateCase(c.GetProperty("name").GetString()!, c.GetProperty("template").GetString()!, ReadPairs(c.GetProperty("extra"))))
            .ToList();
    }

    private static (string, string)[] ReadPairs(JsonElement array) =>
        array.EnumerateArray().Select(p => (p[0].GetString()!, p[1].GetString()!)).ToArray();
}
