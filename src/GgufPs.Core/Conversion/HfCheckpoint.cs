using System.Text.Json;

namespace GgufPs.Conversion;

/// <summary>
/// The weights of a Hugging Face folder: model.safetensors, or the shards model-0000N-of-0000M.safetensors named by
/// model.safetensors.index.json. Tensors come in the converter's order (shards by file name, tensors by name in
/// each). A pytorch_model.bin is never unpickled: it gets an error saying how to save safetensors instead.
/// </summary>
internal sealed class HfCheckpoint : IDisposable
{
    private readonly List<SafetensorsFile> _files;

    private HfCheckpoint(List<SafetensorsFile> files)
    {
        _files = files;
        Tensors = files.SelectMany(f => f.Tensors).ToList();
    }

    public IReadOnlyList<SafetensorsFile> Files => _files;

    public IReadOnlyList<SafetensorsTensor> Tensors { get; }

    public static HfCheckpoint Open(string folder)
    {
        string index = Path.Combine(folder, "model.safetensors.index.json");
        List<string> parts;
        HashSet<string>? indexedTensors = null;
        if (File.Exists(index))
        {
            var weightMap = ReadWeightMap(index);
            indexedTensors = weightMap.Keys.ToHashSet(StringComparer.Ordinal);
            parts = weightMap.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            foreach (string part in parts)
            {
                if (part.Contains('/') || part.Contains('\\') || part == ".." || !File.Exists(Path.Combine(folder, part)))
                {
                    throw new FileNotFoundException($"The shard '{part}' named in '{index}' is missing.", Path.Combine(folder, part));
                }
            }
        }
        else
        {
            parts = Directory.EnumerateFiles(folder)
                .Select(Path.GetFileName)
                .Where(n => n!.StartsWith("model", StringComparison.Ordinal) && n.EndsWith(".safetensors", StringComparison.Ordinal))
                .Select(n => n!)
                .Order(StringComparer.Ordinal)
                .ToList();
        }
        if (parts.Count == 0)
        {
            if (Directory.EnumerateFiles(folder, "pytorch_model*.bin").Any() || File.Exists(Path.Combine(folder, "model.bin"))
                || Directory.EnumerateFiles(folder, "*.pt").Any() || Directory.EnumerateFiles(folder, "*.pth").Any())
            {
                throw new NotSupportedException($"'{folder}' holds PyTorch pickle weights (pytorch_model.bin), which Convert-Model does not read: " +
                    "unpickling can run arbitrary code. Save the model as safetensors first, for example with " +
                    "model.save_pretrained(folder, safe_serialization=True) in transformers.");
            }
            throw new FileNotFoundException($"'{folder}' has no model.safetensors (or model-*.safetensors shards).", Path.Combine(folder, "model.safetensors"));
        }
        var files = new List<SafetensorsFile>();
        try
        {
            foreach (string part in parts)
            {
                files.Add(SafetensorsFile.Open(Path.Combine(folder, part)));
            }
            var checkpoint = new HfCheckpoint(files);
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var t in checkpoint.Tensors)
            {
                if (!names.Add(t.Name))
                {
                    throw new ModelFormatException(t.File.Path, $"tensor '{t.Name}' also appears in another shard");
                }
            }
            if (indexedTensors is not null && !indexedTensors.SetEquals(names))
            {
                var missing = indexedTensors.Except(names).Order(StringComparer.Ordinal).Take(5).ToList();
                var extra = names.Except(indexedTensors).Order(StringComparer.Ordinal).Take(5).ToList();
                throw new ModelFormatException(index, "the weight map and the shards disagree" +
                    (missing.Count > 0 ? $"; missing tensors: {string.Join(", ", missing)}" : "") +
                    (extra.Count > 0 ? $"; tensors not in the map: {string.Join(", ", extra)}" : ""));
            }
            return checkpoint;
        }
        catch
        {
            foreach (var f in files)
            {
                f.Dispose();
            }
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var f in _files)
        {
            f.Dispose();
        }
    }

    private static Dictionary<string, string> ReadWeightMap(string index)
    {
        var json = SpecialVocabulary.ReadJsonObject(index)!;
        if (!json.TryGetValue("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
        {
            throw new ModelFormatException(index, "it has no \"weight_map\" object");
        }
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in map.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String)
            {
                throw new ModelFormatException(index, $"the weight map entry '{p.Name}' is not a file name");
            }
            result[p.Name] = p.Value.GetString()!;
        }
        return result;
    }
}
