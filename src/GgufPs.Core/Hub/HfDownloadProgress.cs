using System.Diagnostics;

namespace GgufPs.Hub;

/// <summary>
/// The progress of a download: the whole (the parent bar) and each file (a child bar). Download threads update the
/// counters; a reader calls <see cref="Sample"/> a few times a second (Save-HfModel does so from the pipeline thread)
/// and gets rates smoothed over the recent samples.
/// </summary>
public sealed class HfDownloadProgress
{
    private readonly Dictionary<string, HfFileProgress> _files;
    private readonly Dictionary<string, (long Bytes, double Rate)> _previous = new(StringComparer.Ordinal);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private double _lastSampleSeconds;
    private (long Bytes, double Rate) _overallPrevious;

    public HfDownloadProgress(string name, IEnumerable<HfFileProgress> files)
    {
        Name = name;
        _files = files.ToDictionary(f => f.Path, StringComparer.Ordinal);
    }

    public string Name { get; }

    public IReadOnlyCollection<HfFileProgress> Files => _files.Values;

    public HfFileProgress this[string path] => _files[path];

    /// <summary>The parent and the files in progress (and those finished since the last sample, so their bars can close).</summary>
    public (HfTransferSample Overall, IReadOnlyList<HfTransferSample> Files) Sample()
    {
        lock (_previous)
        {
            double now = _clock.Elapsed.TotalSeconds;
            double elapsed = Math.Max(now - _lastSampleSeconds, 1e-3);
            _lastSampleSeconds = now;
            var files = new List<HfTransferSample>();
            long total = 0, bytes = 0;
            foreach (var file in _files.Values)
            {
                if (file.State == HfFileState.Skipped)
                {
                    continue;
                }
                total += file.Size;
                bytes += file.Bytes;
                if (file.State is HfFileState.Downloading or HfFileState.Verifying || (_previous.ContainsKey(file.Path) && file.State is HfFileState.Done or HfFileState.Failed))
                {
                    var previous = _previous.GetValueOrDefault(file.Path);
                    double rate = Smooth(previous.Rate, (file.Bytes - previous.Bytes) / elapsed);
                    if (file.State is HfFileState.Done or HfFileState.Failed)
                    {
                        _previous.Remove(file.Path);
                    }
                    else
                    {
                        _previous[file.Path] = (file.Bytes, rate);
                    }
                    files.Add(Make(file.Path, file.Bytes, file.Size, rate, file.State));
                }
            }
            double overallRate = Smooth(_overallPrevious.Rate, (bytes - _overallPrevious.Bytes) / elapsed);
            _overallPrevious = (bytes, overallRate);
            return (Make(Name, bytes, total, overallRate, bytes >= total ? HfFileState.Done : HfFileState.Downloading), files);
        }
    }

    private static double Smooth(double previous, double current) => previous <= 0 ? Math.Max(current, 0) : 0.7 * previous + 0.3 * Math.Max(current, 0);

    private static HfTransferSample Make(string name, long bytes, long total, double rate, HfFileState state) =>
        new(name, bytes, total, rate, rate > 1 && total >= bytes ? TimeSpan.FromSeconds((total - bytes) / rate) : null, state);
}
