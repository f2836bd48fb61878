namespace GgufPs.Conversion;

/// <summary>What gguf-py's naming heuristic reads out of a model id such as "meta-llama/Llama-2-7b-chat-hf".</summary>
internal sealed record ModelIdComponents(string? FullName, string? Organization, string? Basename, string? Finetune, string? Version, string? SizeLabel);
