using System.Text.RegularExpressions;

namespace GgufPs.Quantization;

/// <summary>
/// The order llama.cpp's model loader keeps tensors in (weight_name_comparer), which llama-quantize writes them in:
/// tensors outside blocks first, then block by block, each group sorted by name as bytes.
/// </summary>
internal sealed class LlamaTensorOrder : IComparer<string>
{
    public static LlamaTensorOrder Instance { get; } = new();

    private static readonly Regex BlockNumber = new(@"^blk\.\s*([+-]?\d+)", RegexOptions.CultureInvariant);

    public int Compare(string? x, string? y)
    {
        int lx = Layer(x!);
        int ly = Layer(y!);
        if (lx != ly)
        {
            return lx.CompareTo(ly);
        }
        // std::string compares bytes; UTF-8 bytes order differently from UTF-16 units only beyond ASCII.
        return System.Text.Encoding.UTF8.GetBytes(x!).AsSpan().SequenceCompareTo(System.Text.Encoding.UTF8.GetBytes(y!));
    }

    // sscanf(name, "blk.%d.", &layer) leaves -1 when the name does not start with a block number.
    private static int Layer(string name)
    {
        var match = BlockNumber.Match(name);
        return match.Success && int.TryParse(match.Groups[1].Value, out int layer) ? layer : -1;
    }
}
