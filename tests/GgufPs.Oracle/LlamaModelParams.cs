using System.Runtime.InteropServices;

namespace GgufPs.Oracle;

/// <summary>
/// llama_model_params of the bundled llama.cpp (LLamaSharp.Backend.Cpu 0.30.0, ggml commit 815a2a591).
/// The layout was read off llama_model_default_params in that binary; OracleLayoutTests checks the defaults.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 72)]
internal struct LlamaModelParams
{
    [FieldOffset(0x10)] public int NGpuLayers;
    [FieldOffset(0x14)] public int SplitMode;
    [FieldOffset(0x18)] public int LoadMode;
    [FieldOffset(0x1c)] public int MainGpu;
    [FieldOffset(0x40)] public byte VocabOnly;
    [FieldOffset(0x41)] public byte CheckTensors;
    [FieldOffset(0x42)] public byte UseExtraBufts;
}
