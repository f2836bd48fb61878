using GgufPs.Quantization;

namespace GgufPs.Workflow;

/// <summary>The importance matrices New-ImportanceMatrix merges (-Merge), alone or into a computation.</summary>
public static class ImportanceMatrixMergeInputs
{
    /// <summary>
    /// Reads <paramref name="paths"/> in order, telling <paramref name="reading"/> each path before it is read. The first
    /// that cannot be read ends the reading with its exception, as merging the rest would silently drop it.
    /// </summary>
    /// <param name="modelPath">The model the matrices are computed into, which must not be among them; null for a merge alone.</param>
    /// <exception cref="MergeIsModelException">A path is the model's.</exception>
    public static IReadOnlyList<ImportanceMatrix> Load(IEnumerable<string> paths, string? modelPath, Action<string>? reading = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var matrices = new List<ImportanceMatrix>();
        foreach (string path in paths)
        {
            if (modelPath is not null && FileSystemPath.AreSame(path, modelPath))
            {
                throw new MergeIsModelException(path);
            }
            reading?.Invoke(path);
            matrices.Add(ImportanceMatrix.Load(path));
        }
        return matrices;
    }
}
