using System.Globalization;

namespace GgufPs;

/// <summary>
/// Opens the file a path names and, when its split.count says it is one part of a set, every part of that set,
/// checking them as llama.cpp's model loader does and more strictly: each part is where llama.cpp's naming puts it,
/// says it is that part of a set of that many, agrees on split.tensors.count, and no tensor appears twice.
/// </summary>
internal static class GgufSplitSetLoader
{
    public static GgufMappedFile[] Load(string fullPath)
    {
        var named = GgufMappedFile.Open(fullPath);
        var parts = new List<GgufMappedFile> { named };
        try
        {
            var metadata = named.Header.Metadata;
            long count = SplitCount(metadata, fullPath);
            if (count <= 1)
            {
                return [named];
            }
            if (count > ushort.MaxValue)
            {
                throw new GgufSplitException(fullPath, $"{GgufSplitKeys.Count} is {count}, more parts than llama.cpp's u16 key can number");
            }
            long index = metadata.GetInteger(GgufSplitKeys.Number)
                ?? throw new GgufSplitException(fullPath, $"it has {GgufSplitKeys.Count} {count} but no {GgufSplitKeys.Number}");
            if (index < 0 || index >= count)
            {
                throw new GgufSplitException(fullPath, $"{GgufSplitKeys.Number} is {index}, outside a set of {count} parts");
            }
            string prefix = GgufSplitNaming.Prefix(fullPath, (int)index, (int)count)
                ?? throw new GgufSplitException(fullPath, string.Create(CultureInfo.InvariantCulture,
                    $"it says it is part {index + 1} of {count}, so llama.cpp looks for it under a name ending in '{GgufSplitNaming.PartPath("", (int)index, (int)count)}'"));

            var paths = Enumerable.Range(0, (int)count).Select(i => GgufSplitNaming.PartPath(prefix, i, (int)count)).ToArray();
            // Every part is looked for before any is mapped, so a missing one is reported at once.
            for (int i = 0; i < paths.Length; i++)
            {
                if (!File.Exists(paths[i]))
                {
                    throw new GgufMissingPartException(paths[i], string.Create(CultureInfo.InvariantCulture,
                        $"Part {i + 1} of {count} of the split model '{paths[0]}' is missing: '{paths[i]}' does not exist."));
                }
            }

            var result = new GgufMappedFile[count];
            result[index] = Retag(named, (int)index);
            parts.Clear();
            try
            {
                for (int i = 0; i < count; i++)
                {
                    result[i] ??= GgufMappedFile.Open(paths[i], i);
                    Check(result[i], i, count, result[0] ?? result[i], paths[0]);
                }
                CheckTensors(result, paths[0]);
                return result;
            }
            catch
            {
                foreach (var part in result)
                {
                    part?.Dispose();
                }
                throw;
            }
        }
        catch
        {
            foreach (var part in parts)
            {
                part.Dispose();
            }
            throw;
        }
    }

    private static long SplitCount(GgufMetadataCollection metadata, string path)
    {
        if (!metadata.ContainsKey(GgufSplitKeys.Count))
        {
            return 1;
        }
        return metadata.GetInteger(GgufSplitKeys.Count)
            ?? throw new GgufSplitException(path, $"{GgufSplitKeys.Count} is not an integer");
    }

    // The named file was tagged as part 0 when it was opened alone; its tensors now learn their real index.
    private static GgufMappedFile Retag(GgufMappedFile file, int index)
    {
        foreach (var tensor in file.Header.Tensors)
        {
            tensor.SetPart(index, file.Path);
        }
        return file;
    }

    private static void Check(GgufMappedFile part, int index, long count, GgufMappedFile first, string firstPath)
    {
        var metadata = part.Header.Metadata;
        long? number = metadata.GetInteger(GgufSplitKeys.Number);
        long? partCount = metadata.ContainsKey(GgufSplitKeys.Count) ? metadata.GetInteger(GgufSplitKeys.Count) : null;
        if (number is null || partCount is null)
        {
            throw new GgufSplitException(part.Path, $"it has no {GgufSplitKeys.Number} and {GgufSplitKeys.Count}, so it is not a part of the set that '{firstPath}' begins");
        }
        if (partCount != count)
        {
            throw new GgufSplitException(part.Path, string.Create(CultureInfo.InvariantCulture,
                $"its {GgufSplitKeys.Count} is {partCount} where the set has {count} parts; it belongs to another set or one of the files lies"));
        }
        if (number != index)
        {
            throw new GgufSplitException(part.Path, string.Create(CultureInfo.InvariantCulture,
                $"its {GgufSplitKeys.Number} is {number}, so it is part {number + 1} of a set, not part {index + 1}"));
        }
        long? tensors = metadata.GetInteger(GgufSplitKeys.TensorCount);
        long? expected = first.Header.Metadata.GetInteger(GgufSplitKeys.TensorCount);
        if (tensors != expected)
        {
            throw new GgufSplitException(part.Path, string.Create(CultureInfo.InvariantCulture,
                $"its {GgufSplitKeys.TensorCount} is {Show(tensors)} where the first part's is {Show(expected)}; it belongs to another set"));
        }
    }

    private static void CheckTensors(GgufMappedFile[] parts, string firstPath)
    {
        var owner = new Dictionary<string, GgufMappedFile>(StringComparer.Ordinal);
        foreach (var part in parts)
        {
            foreach (var tensor in part.Header.Tensors)
            {
                if (!owner.TryAdd(tensor.Name, part))
                {
                    throw new GgufSplitException(part.Path, $"tensor '{tensor.Name}' is also in '{owner[tensor.Name].Path}'");
                }
            }
        }
        long? expected = parts[0].Header.Metadata.GetInteger(GgufSplitKeys.TensorCount);
        if (expected is not null && expected != owner.Count)
        {
            throw new GgufSplitException(firstPath, string.Create(CultureInfo.InvariantCulture,
                $"its {GgufSplitKeys.TensorCount} is {expected}, but the {parts.Length} parts hold {owner.Count} tensors"));
        }
    }

    private static string Show(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "missing";
}
