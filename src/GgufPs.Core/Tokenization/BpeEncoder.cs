using System.Collections.Concurrent;

namespace GgufPs.Tokenization;

/// <summary>
/// Byte-level BPE as llama.cpp's llm_tokenizer_bpe_session: each pre-tokenized word starts as UTF-8 characters and
/// the adjacent pair with the lowest merge rank (leftmost on ties) is merged until none is left. A piece that is not
/// a token falls back to its single bytes, dropping any the vocabulary lacks, as llama.cpp does.
/// </summary>
internal sealed class BpeEncoder(Vocabulary vocab)
{
    private const int CacheLimit = 200_000;

    private readonly BpePreTokenizer _preTokenizer = BpePreTokenizer.ForPreType(vocab.PreType);

    // Words repeat a lot in long texts; their tokens never change.
    private readonly ConcurrentDictionary<byte[], int[]> _cache = new(Utf8KeyComparer.Instance);

    private struct Symbol
    {
        public int Prev;
        public int Next;
        public int Start;
        public int Length;
    }

    private readonly record struct Bigram(int Left, int Right, int Rank, int Start, int Size);

    public void Encode(ReadOnlySpan<byte> text, List<int> output)
    {
        foreach (byte[] word in _preTokenizer.Split(text))
        {
            if (!_cache.TryGetValue(word, out int[]? tokens))
            {
                var list = new List<int>();
                EncodeWord(word, list);
                tokens = list.ToArray();
                if (_cache.Count < CacheLimit)
                {
                    _cache.TryAdd(word, tokens);
                }
            }
            output.AddRange(tokens);
        }
    }

    private void EncodeWord(byte[] word, List<int> output)
    {
        var symbols = new List<Symbol>();
        int offset = 0;
        if (vocab.IgnoreMerges && vocab.Find(word) != Vocabulary.NoToken)
        {
            symbols.Add(new Symbol { Prev = -1, Next = -1, Start = 0, Length = word.Length });
            offset = word.Length;
        }
        while (offset < word.Length)
        {
            int length = Math.Min(word.Length - offset, Utf8Codepoints.SequenceLength(word[offset]));
            int index = symbols.Count;
            symbols.Add(new Symbol { Start = offset, Length = length, Prev = index - 1, Next = offset + length == word.Length ? -1 : index + 1 });
            offset += length;
        }

        var s = symbols.ToArray();
        var queue = new PriorityQueue<Bigram, (int Rank, int Left)>();

        void AddBigram(int left, int right)
        {
            if (left == -1 || right == -1)
            {
                return;
            }
            int rank = vocab.MergeRank(word.AsSpan(s[left].Start, s[left].Length), word.AsSpan(s[right].Start, s[right].Length));
            if (rank < 0)
            {
                return;
            }
            queue.Enqueue(new Bigram(left, right, rank, s[left].Start, s[left].Length + s[right].Length), (rank, left));
        }

        for (int i = 1; i < s.Length; i++)
        {
            AddBigram(i - 1, i);
        }

        while (queue.TryDequeue(out var bigram, out _))
        {
            ref var left = ref s[bigram.Left];
            ref var right = ref s[bigram.Right];
            if (left.Length == 0 || right.Length == 0)
            {
                continue;
            }
            // Stale when the two symbols no longer spell the text the bigram was made for.
            if (left.Length + right.Length != bigram.Size || left.Start != bigram.Start || right.Start != left.Start + left.Length)
            {
                continue;
            }
            left.Length += right.Length;
            right.Length = 0;
            left.Next = right.Next;
            if (right.Next >= 0)
            {
                s[right.Next].Prev = bigram.Left;
            }
            AddBigram(left.Prev, bigram.Left);
            AddBigram(bigram.Left, left.Next);
        }

        foreach (var symbol in s)
        {
            if (symbol.Length == 0)
            {
                continue;
            }
            var piece = word.AsSpan(symbol.Start, symbol.Length);
            int token = vocab.Find(piece);
            if (token != Vocabulary.NoToken)
            {
                output.Add(token);
                continue;
            }
            foreach (byte b in piece)
            {
                int byteToken = vocab.Find([b]);
                if (byteToken != Vocabulary.NoToken)
                {
                    output.Add(byteToken);
                }
            }
        }
    }
}
