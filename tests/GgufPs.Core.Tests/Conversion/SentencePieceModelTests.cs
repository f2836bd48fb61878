using GgufPs.Conversion;

namespace GgufPs.Tests.Conversion;

/// <summary>The ModelProto reader against tok512.bin, which llama2.c exported from the same tok512.model.</summary>
public class SentencePieceModelTests
{
    private static readonly string Model = FixturePaths.Get("models", "stories260K", "tok512.model");

    [Fact]
    public void ReadsThePiecesTok512BinHolds()
    {
        var model = SentencePieceModel.Load(Model);
        var bin = Llama2cVocabulary.Load(FixturePaths.Get("models", "stories260K", "tok512.bin"), 512);
        Assert.Equal(512, model.Pieces.Count);
        Assert.Equal(2, model.ModelType);
        Assert.True(model.ByteFallback);
        Assert.Equal(SentencePieceType.Unknown, model.Pieces[0].Type);
        Assert.Equal(SentencePieceType.Control, model.Pieces[1].Type);
        Assert.Equal(new SentencePiece("<0x41>", 0, SentencePieceType.Byte), model.Pieces[3 + 0x41]);
        for (int i = 3; i < 512; i++)
        {
            Assert.Equal(bin.Tokens[i], model.Pieces[i].Text);
            Assert.Equal(bin.Scores[i], model.Pieces[i].Score);
        }
    }

    [Fact]
    public void RejectsCorruptModels()
    {
        using var temp = new TempDirectory();
        var bytes = File.ReadAllBytes(Model);
        string path = temp.File("tokenizer.model");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        Assert.Contains("not a SentencePiece ModelProto", Assert.Throws<ModelFormatException>(() => SentencePieceModel.Load(path)).Message);
        File.WriteAllBytes(path, [0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
        Assert.Throws<ModelFormatException>(() => SentencePieceModel.Load(path));
        File.WriteAllBytes(path, []);
        Assert.Contains("no pieces", Assert.Throws<ModelFormatException>(() => SentencePieceModel.Load(path)).Message);
    }
}
