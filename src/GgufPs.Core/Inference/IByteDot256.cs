using System.Runtime.Intrinsics;

namespace GgufPs.Inference;

/// <summary>
/// Σ u·x of 32 unsigned bytes (below 128) and 32 signed ones, four products a lane, by one instruction set. The
/// kernels take it as a struct type argument, so the JIT compiles one body per instruction set with no branch in
/// the inner loops.
/// </summary>
internal interface IByteDot256
{
    static abstract Vector256<int> Dot(Vector256<byte> u, Vector256<sbyte> x);

    /// <summary>acc + Σ u·x, four products a lane.</summary>
    static abstract Vector256<int> DotAdd(Vector256<int> acc, Vector256<byte> u, Vector256<sbyte> x);
}
