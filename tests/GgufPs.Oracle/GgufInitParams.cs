namespace GgufPs.Oracle;

/// <summary>gguf_init_params: no_alloc and an optional ggml_context** to receive tensor data.</summary>
internal struct GgufInitParams
{
    public byte NoAlloc;
    public IntPtr Context;
}
