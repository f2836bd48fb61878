namespace GgufPs;

/// <summary>How far a split or merge has got: the file being written and the bytes of tensor data copied.</summary>
public readonly record struct GgufCopyProgress(int PartIndex, int PartCount, string PartPath, long BytesDone, long BytesTotal);
