namespace GgufPs;

/// <summary>A part of a split set that is not where llama.cpp's naming puts it; <see cref="FileNotFoundException.FileName"/> is that path.</summary>
public sealed class GgufMissingPartException(string path, string message) : FileNotFoundException(message, path);
