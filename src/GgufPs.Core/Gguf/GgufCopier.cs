namespace GgufPs;

/// <summary>Streams a GGUF file's tensors, unchanged, into a new file with different metadata.</summary>
public static class GgufCopier
{
    private const int ChunkBytes = 64 << 20;

    /// <summary>
    /// Writes <paramref name="source"/>'s tensors under <paramref name="metadata"/> to <paramref name="targetPath"/>
    /// through a temporary file. <paramref name="progress"/> receives bytes copied so far and the total.
    /// </summary>
    public static void CopyWithMetadata(GgufFile source, IReadOnlyList<GgufMetadataEntry> metadata, string targetPath,
        bool overwrite, Action<long, long>? progress = null, CancellationToken cancellationToken = default)
    {
        var unknown = source.Tensors.FirstOrDefault(t => !GgmlTypeInfo.Get(t.Type).IsKnown);
        if (unknown is not null)
        {
            throw new NotSupportedException($"Tensor '{unknown.Name}' has type {unknown.TypeName}, which cannot be copied.");
        }
        long total = source.Tensors.Sum(t => t.ByteSize);
        long done = 0;
        using var writer = new GgufWriter(targetPath, overwrite);
        writer.WriteHeader(metadata, source.Tensors.Select(GgufTensorDescriptor.From).ToList(), source.Version);
        foreach (var tensor in source.Tensors)
        {
            for (long offset = 0; offset < tensor.ByteSize; offset += ChunkBytes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int n = (int)Math.Min(ChunkBytes, tensor.ByteSize - offset);
                writer.WriteTensorData(source.GetTensorBytes(tensor, offset, n));
                done += n;
                progress?.Invoke(done, total);
            }
        }
        writer.Commit();
    }
}
