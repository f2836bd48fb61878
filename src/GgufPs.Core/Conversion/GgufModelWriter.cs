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
        if (Workflow.FileSystemPath.AreSame(plan.OutputPath, plan.InputPath))
        {
            throw new Workflow.OutputIsInputException(plan.OutputPath, $"The output '{plan.OutputPath}' is the input; converting never overwrites its input.");
        }
        string? directory = Path.GetDirectoryName(Path.GetFullPath(plan.OutputPath));
        if (directory is not null && !Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"The output folder '{directory}' does not exist.");
        }
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
}
