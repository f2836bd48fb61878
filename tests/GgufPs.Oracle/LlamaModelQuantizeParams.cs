using System.Runtime.InteropServices;

namespace GgufPs.Oracle;

/// <summary>llama_model_quantize_params of the bundled llama.cpp; offsets read off llama_model_quantize_default_params.</summary>
[StructLayout(LayoutKind.Explicit, Size = 56)]
internal unsafe struct LlamaModelQuantizeParams
{
    [FieldOffset(0x00)] public int NThread;
    [FieldOffset(0x04)] public int FType;
    [FieldOffset(0x08)] public int OutputTensorType;
    [FieldOffset(0x0c)] public int TokenEmbeddingType;
    [FieldOffset(0x10)] public byte AllowRequantize;
    [FieldOffset(0x11)] public byte QuantizeOutputTensor;
    [FieldOffset(0x12)] public byte OnlyCopy;
    [FieldOffset(0x13)] public byte Pure;
    [FieldOffset(0x14)] public byte KeepSplit;
    [FieldOffset(0x15)] public byte DryRun;
    [FieldOffset(0x18)] public LlamaImatrixData* Imatrix;
    [FieldOffset(0x20)] public IntPtr KvOverrides;
    [FieldOffset(0x28)] public LlamaTensorTypeOverride* TensorTypeOverrides;
    [FieldOffset(0x30)] public int* PruneLayers;
}
