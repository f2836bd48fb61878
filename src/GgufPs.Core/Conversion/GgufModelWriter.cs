using System.Diagnostics;

namespace GgufPs.Conversion;

/// <summary>Writes a conversion plan to its output path: header, then each tensor streamed from its source, then the rename.</summary>
public static class GgufModelWriter
{
    /// <summary>
    /// Writes the plan. Nothing is left behind on failure or cancellation: the bytes go to a temporary file that is
    /// renamed to <see cref="ConversionPlan.OutputPath"/> only when every tensor has been written.
    /// </summary>
    public static void Write(ConversionPlan plan, bool overwrite, IProgress<ConversionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        CheckOutput(plan, plan.OutputPath);
        var clock = Stopwatch.StartNew();
        long total = plan.Tensors.Sum(t => t.ByteSize);
        long written = 0;
        using var writer = new GgufWriter(plan.OutputPath, overwrite);
        writer.WriteHeader(plan.Metadata, plan.Tensors.Select(t => t.Descriptor).ToList());
        for (int i = 0; i < plan.Tensors.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var tensor = plan.Tensors[i];
            int index = i;
            long tensorStart = written;
            progress?.Report(new ConversionProgress(i, plan.Tensors.Count, tensor.Name, written, total, clock.Elapsed));
            TensorDataConverter.Write(tensor, writer.WriteTensorData, cancellationToken, progress is null ? null : bytes =>
            {
                written += bytes;
                progress.Report(new ConversionProgress(index, plan.Tensors.Count, tensor.Name, written, total, clock.Elapsed));
            });
            written = tensorStart + tensor.ByteSize;
        }
        writer.Commit();
        progress?.Report(new ConversionProgress(plan.Tensors.Count, plan.Tensors.Count, "", written, total, clock.Elapsed));
    }

    /// <summary>
    /// Writes the plan as the shards of <see cref="ConversionSplit.Plan"/>, each to a temporary file; all are renamed
    /// only when every shard is complete, so a failure or a cancellation leaves nothing behind.
    /// </summary>
    public static void WriteSplit(ConversionPlan plan, IReadOnlyList<ConversionSplitPart> parts, bool overwrite,
        IProgress<ConversionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parts);
        foreach (var part in parts)
        {
            CheckOutput(plan, part.Path);
            if (!overwrite && File.Exists(part.Path))
            {
                throw new Workflow.OutputExistsException(part.Path);
            }
        }
        var clock = Stopwatch.StartNew();
        long total = parts.Sum(p => p.Tensors.Sum(t => t.ByteSize));
        long written = 0;
        int index = 0;
        var writers = new List<GgufWriter>(parts.Count);
        try
        {
            foreach (var part in parts)
            {
                var writer = new GgufWriter(part.Path, overwrite);
                writers.Add(writer);
                writer.WriteHeader(part.Metadata, part.Tensors.Select(t => t.Descriptor).ToList());
                foreach (var tensor in part.Tensors)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    int current = index++;
                    long tensorStart = written;
                    progress?.Report(new ConversionProgress(current, plan.Tensors.Count, tensor.Name, written, total, clock.Elapsed));
                    TensorDataConverter.Write(tensor, writer.WriteTensorData, cancellationToken, progress is null ? null : bytes =>
                    {
                        written += bytes;
                        progress.Report(new ConversionProgress(current, plan.Tensors.Count, tensor.Name, written, total, clock.Elapsed));
                    });
                    written = tensorStart + tensor.ByteSize;
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
        progress?.Report(new ConversionProgress(plan.Tensors.Count, plan.Tensors.Count, "", written, total, clock.Elapsed));
    }

    private static void CheckOutput(ConversionPlan plan, string outputPath)
    {
        if (Workflow.FileSystemPath.AreSame(outputPath, plan.InputPath))
        {
            throw new Workflow.OutputIsInputException(outputPath, $"The output '{outputPath}' is the input; converting never overwrites its input.");
        }
        string? directory = Path.GetDirectoryName(Path.GetFullPath(outputPath));
        if (directory is not null && !Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"The output folder '{directory}' does not exist.");
        }
    }
}
