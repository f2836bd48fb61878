using System.Runtime.InteropServices;

namespace GgufPs.Oracle;

/// <summary>
/// llama.cpp's per-codepoint Unicode functions (unicode.cpp), which libllama exports with C++ linkage. Layouts read off
/// the binary: unicode_cpt_flags_from_cpt returns its 16-bit flags struct in eax (movzwl), and unicode_ranges_nfd is a
/// std::initializer_list (pointer, count) over 12-byte {first, last, nfd} records.
/// </summary>
internal static unsafe partial class LlamaNative
{
    [DllImport(Llama, EntryPoint = "_Z15unicode_tolowerj")]
    public static extern uint unicode_tolower(uint cpt);

    [DllImport(Llama, EntryPoint = "_Z26unicode_cpt_flags_from_cptj")]
    public static extern ushort unicode_cpt_flags_from_cpt(uint cpt);

    /// <summary>unicode_cpts_normalize_nfd for one codepoint: the table lookup it does (upper bound on first, minus one).</summary>
    public static uint UnicodeNfd(uint cpt)
    {
        EnsureLoaded();
        var list = (nint*)NativeLibrary.GetExport(_llama, "unicode_ranges_nfd");
        var ranges = (uint*)list[0];
        long count = list[1];
        long lo = 0;
        long hi = count;
        while (lo < hi)
        {
            long mid = (lo + hi) / 2;
            if (cpt < ranges[mid * 3])
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }
        long i = lo - 1;
        return i >= 0 && ranges[i * 3] <= cpt && cpt <= ranges[i * 3 + 1] ? ranges[i * 3 + 2] : cpt;
    }
}
