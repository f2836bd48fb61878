namespace GgufPs.Tokenization;

/// <summary>
/// SentencePiece BPE as llama.cpp's llm_tokenizer_spm: start from UTF-8 characters, repeatedly merge the adjacent
/// pair whose merged text is the highest-scoring token (leftmost on ties), then emit tokens, falling back to byte
/// tokens for characters the vocabulary lacks.
/// </summary>
internal sealed class SpmEncoder(Vocabulary vocab)
{
    private struct Symbol
    {
        public int Prev;
        public int Next;
        public int Start;
        public int Length;
    }

    private readonly record struct Bigram(int Left, int Right, float Score, int Size);

    private sealed class BigramOrder : IComparer<(float Score, int Left)>
    {
        public static readonly BigramOrder Instance = new();

        // Highest score first; among equal scores the leftmost pair.
        public int Compare((float Score, int Left) x, (float Score, int Left) y)
        {
            if (x.Score > y.Score)
            {
                return -1;
            }
            if (x.Score < y.Score)
            {
                return 1;
            }
            return x.Left.CompareTo(y.Left);
        }
    }

    public void Encode(ReadOnlySpan<byte> text, List<int> output)
    {
        if (text.IsEmpty)
        {
            return;
        }
        byte[] bytes = text.ToArray();
        var symbols = new List<Symbol>();
        int offset = 0;
        while (offset < bytes.Length)
        {
            int length = Math.Min(Utf8Codepoints.SequenceLength(bytes[offset]), bytes.Length - offset);
            int index = symbols.Count;
            symbols.Add(new Symbol { Start = offset, Length = length, Prev = index - 1, Next = offset + length == bytes.Length ? -1 : index + 1 });
            offset += length;
        }

        var symbolArray = symbols.ToArray();
        var queue = new PriorityQueue<Bigram, (float, int)>(BigramOrder.Instance);
        var reverseMerges = new Dictionary<byte[], (int Left, int Right)>(Utf8KeyComparer.Instance);
        var reverseLookup = reverseMerges.GetAlternateLookup<ReadOnlySpan<byte>>();

        void TryAddBigram(int left, int right)
        {
            if (left == -1 || right == -1)
            {
                return;
            }
            var merged = bytes.AsSpan(symbolArray[left].Start, symbolArray[left].Length + symbolArray[right].Length);
            int token = vocab.Find(merged);
            if (token == Vocabulary.NoToken)
            {
                return;
            }
            float score = vocab.Scores[token];
            queue.Enqueue(new Bigram(left, right, score, merged.Length), (score, left));
            reverseLookup[merged] = (left, right);
        }

        for (int i = 1; i < symbolArray.Length; i++)
        {
            TryAddBigram(i - 1, i);
        }

        while (queue.TryDequeue(out var bigram, out _))
        {
            ref var left = ref symbolArray[bigram.Left];
            ref var right = ref symbolArray[bigram.Right];
            if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != bigram.Size)
            {
                continue;
            }
            left.Length += right.Length;
            right.Length = 0;
            left.Next = right.Next;
            if (right.Next >= 0)
            {
                symbolArray[right.Next].Prev = bigram.Left;
            }
            TryAddBigram(left.Prev, bigram.Left);
            TryAddBigram(bigram.Left, left.Next);
        }

        for (int i = 0; i != -1; i = symbolArray[i].Next)
        {
            Resegment(bytes, symbolArray, i, reverseMerges, output, 0);
        }
    }

    private void Resegment(byte[] bytes, Symbol[] symbols, int index, Dictionary<byte[], (int Left, int Right)> reverseMerges, List<int> output, int depth)
    {
        var text = bytes.AsSpan(symbols[index].Start, symbols[index].Length);
        int token = vocab.Find(text);
        if (token != Vocabulary.NoToken)
        {
            output.Add(token);
            return;
        }
        if (depth > 64 || !reverseMerges.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(text, out var pair))
        {
            foreach (byte b in text)
            {
                output.Add(vocab.ByteToToken(b));
            }
            return;
        }
        Resegment(bytes, symbols, pair.Left, reverseMerges, output, depth + 1);
        Resegment(bytes, symbols, pair.Right, reverseMerges, output, depth + 1);
    }
}
