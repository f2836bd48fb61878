using System.Globalization;

namespace GgufPs;

/// <summary>
/// llama-gguf-split's --split and --merge, to the byte: the first part carries the metadata, every part ends its
/// metadata with split.no, split.tensors.count and split.count (gguf_set_val moves a key it sets to the end, and
/// split.count is set twice), shapes are written with ggml_n_dims dimensions, and tensor data is padded to 32 bytes.
/// Data is copied straight from the memory-mapped input in chunks; the outputs go to temporary files renamed when
/// all of them are complete.
/// </summary>
public static class GgufSplitter
{
    private const int ChunkBytes = 16 << 20;
    private const int MaxParts = ushort.MaxValue;

    /// <summary>
    /// Works out a split of <paramref name="input"/> (a file, or a split set, which is re-split as its merged file
    /// would be) into parts named <c>&lt;prefix&gt;-%05d-of-%05d.gguf</c>.
    /// </summary>
    public static IReadOnlyList<GgufSplitPlanPart> PlanSplit(GgufFile input, string outputPrefix, GgufSplitOptions options)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(outputPrefix);
        if ((options.MaxBytes is null) == (options.MaxTensors is null))
        {
            throw new ArgumentException("Give either a maximum size or a maximum tensor count for each part.");
        }
        if (options.MaxBytes is <= 0 || options.MaxTensors is <= 0)
        {
            throw new ArgumentException("The maximum size or tensor count of a part must be positive.");
        }
        CheckWritable(input);
        var tensors = input.Tensors;
        var groups = new List<List<GgufTensorInfo>> { new() };
        if (options.NoTensorFirstSplit)
        {
            groups.Add([]);
        }
        long current = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            long padded = GgufLayout.Align(tensors[i].ByteSize, GgufLayout.DefaultAlignment);
            long next = current + padded;
            bool split = options.MaxBytes is { } max ? next > max : i > 0 && i % options.MaxTensors!.Value == 0;
            if (split)
            {
                if (groups[^1].Count == 0)
                {
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                        $"Tensor '{tensors[i].Name}' takes {padded} bytes, more than the {options.MaxBytes} bytes a part may hold, so the part before it would be empty; llama-gguf-split refuses this too. Give a larger size."));
                }
                groups.Add([]);
                current = padded;
            }
            else
            {
                current = next;
            }
            groups[^1].Add(tensors[i]);
        }
        if (groups.Count > MaxParts)
        {
            throw new ArgumentException($"The split would make {groups.Count} parts; split.count holds at most {MaxParts}.");
        }

        string prefix = GgufSplitNaming.PrefixOf(Path.GetFullPath(outputPrefix));
        var kept = input.Metadata.Where(e => !GgufSplitKeys.IsSplitKey(e.Key)).ToList();
        var parts = new List<GgufSplitPlanPart>(groups.Count);
        for (int p = 0; p < groups.Count; p++)
        {
            var metadata = p == 0 ? new List<GgufMetadataEntry>(kept) : new List<GgufMetadataEntry>(3);
            metadata.Add(GgufMetadataEntry.Create(GgufSplitKeys.Number, GgufValueType.UInt16, p));
            metadata.Add(GgufMetadataEntry.Create(GgufSplitKeys.TensorCount, GgufValueType.Int32, tensors.Count));
            metadata.Add(GgufMetadataEntry.Create(GgufSplitKeys.Count, GgufValueType.UInt16, groups.Count));
            parts.Add(new GgufSplitPlanPart(p, GgufSplitNaming.PartPath(prefix, p, groups.Count), metadata, groups[p]));
        }
        return parts;
    }

    /// <summary>
    /// Works out the merge of a split set into one file: the first part's metadata with split.count moved to the end
    /// and set to 0 (so llama.cpp sees one file), and every part's tensors in order.
    /// </summary>
    public static GgufSplitPlanPart PlanMerge(GgufFile input, string outputPath)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        if (!input.Metadata.ContainsKey(GgufSplitKeys.Count) || input.Metadata.GetInteger(GgufSplitKeys.Count) is not >= 1)
        {
            throw new ArgumentException($"'{input.Path}' is not part of a split set: it has no {GgufSplitKeys.Count} of 1 or more, so there is nothing to merge.");
        }
        CheckWritable(input);
        var metadata = input.Metadata.Where(e => e.Key != GgufSplitKeys.Count).ToList();
        metadata.Add(GgufMetadataEntry.Create(GgufSplitKeys.Count, GgufValueType.UInt16, 0));
        return new GgufSplitPlanPart(0, Path.GetFullPath(outputPath), metadata, input.Tensors);
    }

    /// <summary>Writes the parts of a plan from <paramref name="input"/>; nothing is left behind on failure.</summary>
    public static void Write(GgufFile input, IReadOnlyList<GgufSplitPlanPart> parts, bool overwrite,
        IProgress<GgufCopyProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(parts);
        foreach (var part in parts)
        {
            if (input.Parts.Any(p => Workflow.FileSystemPath.AreSame(p.Path, part.Path)))
            {
                throw new Workflow.OutputIsInputException(part.Path, $"The output '{part.Path}' is an input file; choose another output path.");
            }
            if (!overwrite && File.Exists(part.Path))
            {
                throw new Workflow.OutputExistsException(part.Path);
            }
        }
        long total = parts.Sum(p => p.TensorBytes);
        long done = 0;
        var writers = new List<GgufWriter>(parts.Count);
        try
        {
            for (int p = 0; p < parts.Count; p++)
            {
                var part = parts[p];
                var writer = new GgufWriter(part.Path, overwrite);
                writers.Add(writer);
                writer.WriteHeader(part.Metadata, part.Descriptors, version: 3, alignEmptyData: true);
                progress?.Report(new GgufCopyProgress(p, parts.Count, part.Path, done, total));
                foreach (var tensor in part.Sources)
                {
                    for (long offset = 0; offset < tensor.ByteSize; offset += ChunkBytes)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        int n = (int)Math.Min(ChunkBytes, tensor.ByteSize - offset);
                        writer.WriteTensorData(input.GetTensorBytes(tensor, offset, n));
                        done += n;
                        progress?.Report(new GgufCopyProgress(p, parts.Count, part.Path, done, total));
                    }
                }
            }
            foreach (var writer in writers)
            {
                writer.Commit();
            }
        }
        finally
        {
            foreach (var writer in writers)
            {
                writer.Dispose();
            }
        }
    }

    // ggml's writer pads data to the default alignment whatever general.alignment says, and cannot store unknown types.
    private static void CheckWritable(GgufFile input)
    {
        if (input.Alignment != GgufLayout.DefaultAlignment)
        {
            throw new NotSupportedException(string.Create(CultureInfo.InvariantCulture,
                $"'{input.Path}' has {GgufLayout.AlignmentKey} {input.Alignment}; llama-gguf-split lays its output out for {GgufLayout.DefaultAlignment} whatever the key says, so such files cannot be split or merged faithfully."));
        }
        var unknown = input.Tensors.FirstOrDefault(t => !GgmlTypeInfo.Get(t.Type).IsKnown);
        if (unknown is not null)
        {
            throw new NotSupportedException($"Tensor '{unknown.Name}' has type {unknown.TypeName}, which this build cannot copy.");
        }
    }
}
