namespace GgufPs.Oracle;

internal static unsafe partial class LlamaCppOracle
{
    /// <summary>
    /// Loads a model with an F32 KV cache (llama.cpp's default is F16), so its logits can be held to a reference
    /// computed in F32 to 1e-5.
    /// </summary>
    public static LlamaCppModel? LoadModelWithF32Cache(string path, int contextLength = 64, int threads = 2)
    {
        LlamaNative.EnsureLoaded();
        var mp = LlamaNative.llama_model_default_params();
        mp.NGpuLayers = 0;
        IntPtr model;
        fixed (byte* name = Utf8(path))
        {
            model = LlamaNative.llama_model_load_from_file(name, mp);
        }
        if (model == IntPtr.Zero)
        {
            return null;
        }
        var cp = LlamaNative.llama_context_default_params();
        cp.NCtx = (uint)contextLength;
        cp.NBatch = (uint)contextLength;
        cp.NUbatch = (uint)contextLength;
        cp.NSeqMax = 1;
        cp.NThreads = threads;
        cp.NThreadsBatch = threads;
        cp.FlashAttnType = 0;
        cp.TypeK = (int)GgmlType.F32;
        cp.TypeV = (int)GgmlType.F32;
        IntPtr ctx = LlamaNative.llama_init_from_model(model, cp);
        if (ctx == IntPtr.Zero)
        {
            LlamaNative.llama_model_free(model);
            return null;
        }
        return new LlamaCppModel(model, ctx);
    }

    /// <summary>Whether llama_model_load_from_file accepts a file (every tensor present with the expected shape), without building a context.</summary>
    public static bool CanLoadModel(string path)
    {
        LlamaNative.EnsureLoaded();
        var mp = LlamaNative.llama_model_default_params();
        mp.NGpuLayers = 0;
        IntPtr model;
        fixed (byte* name = Utf8(path))
        {
            model = LlamaNative.llama_model_load_from_file(name, mp);
        }
        if (model == IntPtr.Zero)
        {
            return false;
        }
        LlamaNative.llama_model_free(model);
        return true;
    }
}
