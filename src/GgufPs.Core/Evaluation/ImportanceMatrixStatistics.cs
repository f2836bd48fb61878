using System.Text.RegularExpressions;
using GgufPs.Quantization;

namespace GgufPs.Evaluation;

/// <summary>
/// llama-imatrix --show-statistics: per tensor, statistics of the mean squared activation of each column
/// (sum / count), computed in float in llama.cpp's order, and sorted as it prints them: by short tensor name, then
/// by Σ(Act²) descending.
/// </summary>
internal static partial class ImportanceMatrixStatistics
{
    /// <summary>Columns whose mean squared activation is at most this count as inactive.</summary>
    public const float InactiveThreshold = 1e-5f;

    public static IReadOnlyList<ImportanceMatrixTensorStatistics> Compute(IEnumerable<ImportanceMatrixEntry> entries, string? source = null)
    {
        var list = entries.ToList();
        var byName = list.ToDictionary(e => e.Name, StringComparer.Ordinal);
        var result = new List<ImportanceMatrixTensorStatistics>();
        foreach (var e in list)
        {
            if (Compute(e, byName, source) is { } s)
            {
                result.Add(s);
            }
        }
        return result.OrderBy(s => s.Tensor, StringComparer.Ordinal).ThenByDescending(s => s.SumOfSquares).ToList();
    }

    private static ImportanceMatrixTensorStatistics? Compute(ImportanceMatrixEntry e, Dictionary<string, ImportanceMatrixEntry> byName, string? source)
    {
        // Matrices that saw no data (unused experts) have no means to describe.
        var activations = new List<float>(e.Sums.Length);
        for (int m = 0; m < e.Matrices; m++)
        {
            if (e.Counts[m] <= 0)
            {
                continue;
            }
            float count = e.Counts[m];
            for (int j = 0; j < e.Columns; j++)
            {
                activations.Add(e.Sums[m * e.Columns + j] / count);
            }
        }
        if (activations.Count == 0)
        {
            return null;
        }
        int n = activations.Count;
        float total = 0, squares = 0, max = float.NegativeInfinity, min = float.PositiveInfinity;
        int inactive = 0;
        foreach (float a in activations)
        {
            total += a;
            float square = a * a;
            squares += square;
            max = Math.Max(max, a);
            min = Math.Min(min, a);
            if (MathF.Abs(a) <= InactiveThreshold)
            {
                inactive++;
            }
        }
        float mean = total / n;
        float variance = squares / n - mean * mean;
        float deviation = MathF.Sqrt(Math.Max(0.0f, variance));
        float entropy = 0;
        if (total > 0)
        {
            foreach (float a in activations)
            {
                float p = a / total;
                if (p > 0)
                {
                    entropy -= p * MathF.Log2(p);
                }
            }
        }
        int above = 0;
        if (deviation > 0)
        {
            foreach (float a in activations)
            {
                if ((a - mean) / deviation > 1)
                {
                    above++;
                }
            }
        }
        var (layer, tensor) = SplitName(e.Name);
        return new ImportanceMatrixTensorStatistics
        {
            ImportanceMatrix = source,
            Name = e.Name,
            Layer = layer,
            Tensor = tensor,
            SumOfSquares = total,
            Minimum = min,
            Maximum = max,
            Mean = mean,
            StandardDeviation = deviation,
            ActivePercent = 100.0f * (1 - (float)inactive / n),
            Elements = n,
            Entropy = entropy,
            NormalizedEntropyPercent = n > 1 ? 100.0f * (entropy / MathF.Log2(n)) : 0,
            ZdPercent = 100.0f * ((float)above / n),
            CosineSimilarity = CosineWithPreviousLayer(e, byName),
        };
    }

    /// <summary>Cosine similarity of the raw sums with blk.(N-1)'s tensor of the same name and size; 0 if there is none.</summary>
    private static float CosineWithPreviousLayer(ImportanceMatrixEntry e, Dictionary<string, ImportanceMatrixEntry> byName)
    {
        var match = BlockNumber().Match(e.Name);
        if (!match.Success)
        {
            return 0;
        }
        int block = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        string previous = string.Concat(e.Name.AsSpan(0, match.Groups[1].Index), (block - 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            e.Name.AsSpan(match.Groups[1].Index + match.Groups[1].Length));
        if (!byName.TryGetValue(previous, out var p) || p.Sums.Length != e.Sums.Length)
        {
            return 0;
        }
        float dot = 0, a2 = 0, b2 = 0;
        for (int i = 0; i < e.Sums.Length; i++)
        {
            float ab = e.Sums[i] * p.Sums[i];
            dot += ab;
        }
        for (int i = 0; i < e.Sums.Length; i++)
        {
            float aa = e.Sums[i] * e.Sums[i];
            a2 += aa;
        }
        for (int i = 0; i < p.Sums.Length; i++)
        {
            float bb = p.Sums[i] * p.Sums[i];
            b2 += bb;
        }
        return dot / (MathF.Sqrt(a2) * MathF.Sqrt(b2));
    }

    /// <summary>llama-imatrix's process_tensor_name: the layer after "blk", the tensor as the part before "weight".</summary>
    private static (int Layer, string Tensor) SplitName(string name)
    {
        var parts = name.Split('.');
        int layer = -1;
        for (int i = 0; i + 1 < parts.Length; i++)
        {
            if (parts[i] == "blk")
            {
                layer = int.TryParse(parts[i + 1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int l) ? l : -1;
                break;
            }
        }
        string tensor = name;
        for (int i = 1; i < parts.Length; i++)
        {
            if (parts[i] == "weight")
            {
                tensor = parts[i - 1];
                break;
            }
        }
        return (layer, tensor);
    }

    [GeneratedRegex(@"blk\.(\d+)\.")]
    private static partial Regex BlockNumber();
}
