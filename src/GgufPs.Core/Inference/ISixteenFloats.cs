using System.Runtime.Intrinsics;

namespace GgufPs.Inference;

/// <summary>
/// Sixteen small integers (one Vector128 of bytes) turned into floats and scaled, at one register width. The
/// operations are the same per value at every width, so every width gives the same floats.
/// </summary>
internal unsafe interface ISixteenFloats
{
    /// <summary>y[i] = (float)q[i]·d.</summary>
    static abstract void Scaled(Vector128<sbyte> q, float d, float* y);

    /// <summary>y[i] = (float)(u[i] − bias)·d.</summary>
    static abstract void Scaled(Vector128<byte> u, int bias, float d, float* y);

    /// <summary>y[i] = (float)u[i]·d − m, multiplied and subtracted apart (no fused rounding).</summary>
    static abstract void ScaledMinus(Vector128<byte> u, float d, float m, float* y);
}
