namespace GgufPs.Inference;

/// <summary>The instructions an integer matrix kernel multiplies bytes with. All give the same integer sums.</summary>
internal enum Int8Kernel
{
    /// <summary>No vector integer instructions: the float kernel runs the quantized types.</summary>
    None,

    /// <summary>SSSE3 pmaddubsw on x64, or AdvSimd on ARM64 with SDOT where the CPU has the dot-product extension.</summary>
    Vector128,

    /// <summary>AVX2's vpmaddubsw and vpmaddwd, as llama.cpp's avx2 build (Haswell to Comet Lake, Zen 1 to 3).</summary>
    Avx2,

    /// <summary>AVX-512BW's 512-bit vpmaddubsw and vpmaddwd, for AVX-512 without the VEX AVX-VNNI (Zen 4, Ice Lake server).</summary>
    Avx512BW,

    /// <summary>AVX-VNNI's 256-bit vpdpbusd (Alder Lake and later, Sapphire Rapids and later).</summary>
    AvxVnni,
}
