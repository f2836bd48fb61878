using System.Runtime.InteropServices;

namespace GgufPs.Oracle;

/// <summary>llama_context_params of the bundled llama.cpp; offsets read off llama_context_default_params.</summary>
[StructLayout(LayoutKind.Explicit, Size = 160)]
internal struct LlamaContextParams
{
    [FieldOffset(0x00)] public uint NCtx;
    [FieldOffset(0x04)] public uint NBatch;
    [FieldOffset(0x08)] public uint NUbatch;
    [FieldOffset(0x0c)] public uint NSeqMax;
    [FieldOffset(0x18)] public int NThreads;
    [FieldOffset(0x1c)] public int NThreadsBatch;
    [FieldOffset(0x30)] public int FlashAttnType;
    [FieldOffset(0x58)] public IntPtr CbEval;
    [FieldOffset(0x60)] public IntPtr CbEvalUserData;
    [FieldOffset(0x68)] public int TypeK;
    [FieldOffset(0x6c)] public int TypeV;
    [FieldOffset(0x80)] public byte Embeddings;
    [FieldOffset(0x81)] public byte OffloadKqv;
    [FieldOffset(0x82)] public byte NoPerf;
}
