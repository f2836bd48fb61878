using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace GgufPs.Inference;

/// <summary>Which kernel widths and integer instruction sets this CPU runs, and which of them the engine uses.</summary>
internal static class KernelSupport
{
    /// <summary>The float width the engine uses: the widest the runtime accelerates.</summary>
    public static readonly VectorWidth FloatWidth =
        Vector512.IsHardwareAccelerated && Supports(VectorWidth.Vector512) ? VectorWidth.Vector512
        : Vector256.IsHardwareAccelerated && Supports(VectorWidth.Vector256) ? VectorWidth.Vector256
        : VectorWidth.Vector128;

    /// <summary>
    /// The integer kernel the engine uses. AVX-VNNI's 256-bit vpdpbusd comes before AVX-512BW even where both exist:
    /// it issues two per cycle, a multiply-add of 64 bytes, where vpmaddubsw and vpmaddwd on 512 bits need two
    /// instructions for as many.
    /// </summary>
    public static readonly Int8Kernel Int8 =
        Supports(Int8Kernel.AvxVnni) ? Int8Kernel.AvxVnni
        : Vector512.IsHardwareAccelerated && Supports(Int8Kernel.Avx512BW) ? Int8Kernel.Avx512BW
        : Supports(Int8Kernel.Avx2) ? Int8Kernel.Avx2
        : Supports(Int8Kernel.Vector128) ? Int8Kernel.Vector128
        : Int8Kernel.None;

    /// <summary>Whether this CPU runs the float kernels of <paramref name="width"/> in hardware.</summary>
    public static bool Supports(VectorWidth width) => width switch
    {
        VectorWidth.Vector512 => Avx512F.IsSupported && Avx512BW.IsSupported,
        VectorWidth.Vector256 => Avx2.IsSupported && Fma.IsSupported,
        _ => Vector128.IsHardwareAccelerated,
    };

    /// <summary>Whether this CPU has the instructions of <paramref name="kernel"/>.</summary>
    public static bool Supports(Int8Kernel kernel) => kernel switch
    {
        Int8Kernel.AvxVnni => AvxVnni.IsSupported && Avx2.IsSupported && Fma.IsSupported,
        Int8Kernel.Avx512BW => Avx512BW.IsSupported && Avx512F.IsSupported,
        Int8Kernel.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        Int8Kernel.Vector128 => Ssse3.IsSupported || AdvSimd.Arm64.IsSupported,
        _ => true,
    };

    /// <summary>What the engine runs on this CPU, for logs and checks.</summary>
    public static string Describe() =>
        $"float {FloatWidth}, int8 {Int8}" + (Int8 == Int8Kernel.Vector128 ? (Dp.IsSupported ? " (AdvSimd with SDOT)" : AdvSimd.IsSupported ? " (AdvSimd)" : " (SSSE3)") : "");
}
