using System.Runtime.InteropServices;

namespace GgufPs.Oracle;

/// <summary>llama.cpp's sampler API (llama_sampler_*). llama_sampler_chain_params is one bool, passed by value.</summary>
internal static unsafe partial class LlamaNative
{
    [DllImport(Llama)] public static extern IntPtr llama_sampler_chain_init(byte noPerf);
    [DllImport(Llama)] public static extern void llama_sampler_chain_add(IntPtr chain, IntPtr sampler);
    [DllImport(Llama)] public static extern IntPtr llama_sampler_init_greedy();
    [DllImport(Llama)] public static extern IntPtr llama_sampler_init_dist(uint seed);
    [DllImport(Llama)] public static extern IntPtr llama_sampler_init_top_k(int k);
    [DllImport(Llama)] public static extern IntPtr llama_sampler_init_top_p(float p, nuint minKeep);
    [DllImport(Llama)] public static extern IntPtr llama_sampler_init_min_p(float p, nuint minKeep);
    [DllImport(Llama)] public static extern IntPtr llama_sampler_init_typical(float p, nuint minKeep);
    [DllImport(Llama)] public static extern IntPtr llama_sampler_init_temp_ext(float temp, float delta, float exponent);
    [DllImport(Llama)] public static extern IntPtr llama_sampler_init_xtc(float p, float t, nuint minKeep, uint seed);
    [DllImport(Llama)] public static extern IntPtr llama_sampler_init_top_n_sigma(float n);
    [DllImport(Llama)] public static extern IntPtr llama_sampler_init_penalties(int lastN, float repeat, float frequency, float presence);
    [DllImport(Llama)] public static extern void llama_sampler_apply(IntPtr sampler, LlamaTokenDataArray* candidates);
    [DllImport(Llama)] public static extern void llama_sampler_accept(IntPtr sampler, int token);
    [DllImport(Llama)] public static extern void llama_sampler_reset(IntPtr sampler);
    [DllImport(Llama)] public static extern uint llama_sampler_get_seed(IntPtr sampler);
    [DllImport(Llama)] public static extern void llama_sampler_free(IntPtr sampler);
}
