namespace GgufPs.Hub;

/// <summary>
/// The .lock files huggingface_hub takes (filelock): held open with FileShare.None, which .NET takes on Unix as an
/// exclusive flock, the lock Python's filelock takes, so a GgufPs download and a Python one never write the same
/// file at once. The file stays, as Python leaves it.
/// </summary>
internal sealed class HfFileLock : IDisposable
{
    private readonly FileStream _stream;

    private HfFileLock(FileStream stream) => _stream = stream;

    public static async Task<HfFileLock> AcquireAsync(string path, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return new HfFileLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1));
            }
            catch (IOException) when (attempt < 36_000)
            {
                // Another process holds it: wait (up to an hour) as filelock does.
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
