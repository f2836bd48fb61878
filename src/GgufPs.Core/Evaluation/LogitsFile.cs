using System.Runtime.InteropServices;

namespace GgufPs.Evaluation;

/// <summary>
/// llama-perplexity's --kl-divergence-base file: "_logits_", n_ctx, n_vocab, n_chunk (int32 each), the
/// n_ctx·n_chunk evaluated tokens, then for every chunk one row of quantized log-probabilities per scored position
/// (two floats, scale and minimum, then n_vocab uint16 values, padded to even).
/// </summary>
internal static class LogitsFile
{
    private static readonly byte[] Magic = "_logits_"u8.ToArray();

    public sealed class Header
    {
        public required int Context { get; init; }

        public required int Vocabulary { get; init; }

        public required int Chunks { get; init; }

        public required int[] Tokens { get; init; }

        public int ScoredPerChunk => Context - 1 - Context / 2;

        public int RowLength => TokenLogProbabilities.QuantizedRowLength(Vocabulary);
    }

    /// <summary>The size of the file for <paramref name="chunks"/> chunks of <paramref name="context"/> tokens.</summary>
    public static long FileSize(int context, int vocabulary, int chunks) =>
        20 + 4L * context * chunks + (long)chunks * (context - 1 - context / 2) * 2L * TokenLogProbabilities.QuantizedRowLength(vocabulary);

    public static void WriteHeader(Stream stream, int context, int vocabulary, int chunks, ReadOnlySpan<int> tokens)
    {
        stream.Write(Magic);
        Span<int> numbers = [context, vocabulary, chunks];
        stream.Write(MemoryMarshal.AsBytes(numbers));
        stream.Write(MemoryMarshal.AsBytes(tokens[..(context * chunks)]));
    }

    public static void WriteRows(Stream stream, ReadOnlySpan<ushort> rows) => stream.Write(MemoryMarshal.AsBytes(rows));

    /// <summary>Reads and checks the header; the stream is left at the first chunk's rows.</summary>
    public static Header ReadHeader(Stream stream, string path)
    {
        Span<byte> magic = stackalloc byte[8];
        if (stream.ReadAtLeast(magic, 8, throwOnEndOfStream: false) != 8 || !magic.SequenceEqual(Magic))
        {
            throw new InvalidDataException($"'{path}' does not look like a llama.cpp logits file (it does not start with _logits_).");
        }
        Span<int> numbers = stackalloc int[3];
        if (stream.ReadAtLeast(MemoryMarshal.AsBytes(numbers), 12, throwOnEndOfStream: false) != 12)
        {
            throw new InvalidDataException($"'{path}' is truncated in its header.");
        }
        int context = numbers[0], vocabulary = numbers[1], chunks = numbers[2];
        if (context < 4 || vocabulary < 1 || chunks < 1)
        {
            throw new InvalidDataException($"'{path}' has an invalid header (context {context}, vocabulary {vocabulary}, chunks {chunks}).");
        }
        long expected = FileSize(context, vocabulary, chunks);
        if (stream.CanSeek && stream.Length < expected)
        {
            throw new InvalidDataException($"'{path}' is {stream.Length} bytes; its header promises {expected}.");
        }
        var tokens = new int[checked(context * chunks)];
        if (stream.ReadAtLeast(MemoryMarshal.AsBytes(tokens.AsSpan()), tokens.Length * 4, throwOnEndOfStream: false) != tokens.Length * 4)
        {
            throw new InvalidDataException($"'{path}' is truncated in its tokens.");
        }
        return new Header { Context = context, Vocabulary = vocabulary, Chunks = chunks, Tokens = tokens };
    }

    public static void ReadRows(Stream stream, Span<ushort> rows, string path)
    {
        var bytes = MemoryMarshal.AsBytes(rows);
        if (stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false) != bytes.Length)
        {
            throw new InvalidDataException($"'{path}' is truncated in its log-probabilities.");
        }
    }
}
