namespace GgufPs.Inference;

/// <summary>
/// The register width a float kernel runs at. Every width gives the same bits: the kernels keep the sixteen lanes
/// of llama.cpp's AVX-512 build (the oracle's), as one Vector512, two Vector256 or four Vector128.
/// </summary>
internal enum VectorWidth
{
    Vector128,
    Vector256,
    Vector512,
}
