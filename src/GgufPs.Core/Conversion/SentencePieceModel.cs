using System.Text;

namespace GgufPs.Conversion;

/// <summary>
/// The parts of a SentencePiece <c>tokenizer.model</c> (a serialized ModelProto) that conversion needs: the pieces
/// with their scores and types, and the trainer and normalizer flags that say how the model tokenizes.
/// </summary>
internal sealed class SentencePieceModel
{
    /// <summary>Far beyond any real vocabulary; a count above it means a corrupt or hostile file.</summary>
    private const int MaxPieces = 4_000_000;

    private SentencePieceModel(IReadOnlyList<SentencePiece> pieces)
    {
        Pieces = pieces;
    }

    public IReadOnlyList<SentencePiece> Pieces { get; }

    /// <summary>TrainerSpec.model_type: 1 unigram (the default), 2 BPE, 3 word, 4 char.</summary>
    public int ModelType { get; private set; } = 1;

    public bool ByteFallback { get; private set; }

    public bool AddDummyPrefix { get; private set; } = true;

    public bool RemoveExtraWhitespaces { get; private set; } = true;

    public static SentencePieceModel Load(string path)
    {
        string fullPath = Path.GetFullPath(path);
        var info = new FileInfo(fullPath);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"Cannot find the SentencePiece model '{fullPath}'.", fullPath);
        }
        if (info.Length > 1L << 30)
        {
            throw new ModelFormatException(fullPath, $"a SentencePiece model of {info.Length} bytes is implausibly large");
        }
        try
        {
            return Parse(File.ReadAllBytes(fullPath));
        }
        catch (InvalidDataException ex)
        {
            throw new ModelFormatException(fullPath, "it is not a SentencePiece ModelProto: " + ex.Message, ex);
        }
    }

    public static SentencePieceModel Parse(ReadOnlySpan<byte> data)
    {
        var pieces = new List<SentencePiece>();
        var reader = new ProtobufReader(data);
        int modelType = 1;
        bool byteFallback = false, addDummyPrefix = true, removeExtraWhitespaces = true;
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.ReadTag();
            if (field == 1 && wire == ProtobufReader.WireLengthDelimited)
            {
                if (pieces.Count >= MaxPieces)
                {
                    throw new InvalidDataException($"more than {MaxPieces} pieces");
                }
                pieces.Add(ParsePiece(reader.ReadBytes()));
            }
            else if (field == 2 && wire == ProtobufReader.WireLengthDelimited)
            {
                ParseTrainerSpec(reader.ReadBytes(), ref modelType, ref byteFallback);
            }
            else if (field == 3 && wire == ProtobufReader.WireLengthDelimited)
            {
                ParseNormalizerSpec(reader.ReadBytes(), ref addDummyPrefix, ref removeExtraWhitespaces);
            }
            else
            {
                reader.Skip(wire);
            }
        }
        if (pieces.Count == 0)
        {
            throw new InvalidDataException("the model has no pieces");
        }
        return new SentencePieceModel(pieces)
        {
            ModelType = modelType,
            ByteFallback = byteFallback,
            AddDummyPrefix = addDummyPrefix,
            RemoveExtraWhitespaces = removeExtraWhitespaces,
        };
    }

    private static SentencePiece ParsePiece(ReadOnlySpan<byte> data)
    {
        var reader = new ProtobufReader(data);
        string text = "";
        float score = 0;
        var type = SentencePieceType.Normal;
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.ReadTag();
            switch (field)
            {
                case 1 when wire == ProtobufReader.WireLengthDelimited:
                    text = Encoding.UTF8.GetString(reader.ReadBytes());
                    break;
                case 2 when wire == ProtobufReader.WireFixed32:
                    score = reader.ReadFloat();
                    break;
                case 3 when wire == ProtobufReader.WireVarint:
                    ulong t = reader.ReadVarint();
                    type = t is >= 1 and <= 6 ? (SentencePieceType)t : throw new InvalidDataException($"piece type {t} is not defined");
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }
        return new SentencePiece(text, score, type);
    }

    private static void ParseTrainerSpec(ReadOnlySpan<byte> data, ref int modelType, ref bool byteFallback)
    {
        var reader = new ProtobufReader(data);
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.ReadTag();
            if (field == 3 && wire == ProtobufReader.WireVarint)
            {
                modelType = (int)reader.ReadVarint();
            }
            else if (field == 35 && wire == ProtobufReader.WireVarint)
            {
                byteFallback = reader.ReadVarint() != 0;
            }
            else
            {
                reader.Skip(wire);
            }
        }
    }

    private static void ParseNormalizerSpec(ReadOnlySpan<byte> data, ref bool addDummyPrefix, ref bool removeExtraWhitespaces)
    {
        var reader = new ProtobufReader(data);
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.ReadTag();
            if (field == 3 && wire == ProtobufReader.WireVarint)
            {
                addDummyPrefix = reader.ReadVarint() != 0;
            }
            else if (field == 4 && wire == ProtobufReader.WireVarint)
            {
                removeExtraWhitespaces = reader.ReadVarint() != 0;
            }
            else
            {
                reader.Skip(wire);
            }
        }
    }
}
