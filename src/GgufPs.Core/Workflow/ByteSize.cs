using System.Globalization;

namespace GgufPs.Workflow;

/// <summary>
/// A byte count for people, in the decimal units of the format views and of SizeGB (1 KB = 1000 bytes), with two
/// decimals and the same digits whatever the culture: "489.25 KB", "7.96 GB", "512 B".
/// </summary>
public static class ByteSize
{
    public static string Format(long bytes) => bytes switch
    {
        >= 1_000_000_000_000 or <= -1_000_000_000_000 => Scaled(bytes, 1e12, "TB"),
        >= 1_000_000_000 or <= -1_000_000_000 => Scaled(bytes, 1e9, "GB"),
        >= 1_000_000 or <= -1_000_000 => Scaled(bytes, 1e6, "MB"),
        >= 1_000 or <= -1_000 => Scaled(bytes, 1e3, "KB"),
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };

    private static string Scaled(long bytes, double unit, string name) =>
        (bytes / unit).ToString("N2", CultureInfo.InvariantCulture) + " " + name;
}
