namespace GgufPs.Oracle;

/// <summary>ggml_init_params: mem_size, mem_buffer, no_alloc.</summary>
internal struct GgmlInitParams
{
    public nuint MemSize;
    public IntPtr MemBuffer;
    public byte NoAlloc;
}
