using System.Collections.ObjectModel;
using System.Globalization;

namespace GgufPs;

/// <summary>
/// The tokens per second of each timed run of a throughput test (llama-bench's samples_ts). A list to scripts and
/// ConvertTo-Json; one line of numbers, separated by spaces, to Export-Csv and string conversion.
/// </summary>
public sealed class ThroughputSamples(IList<double> values) : ReadOnlyCollection<double>(values)
{
    public override string ToString() => string.Join(' ', this.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
}
