using System.Management.Automation;
using System.Text;

namespace GgufPs.Commands;

/// <summary>
/// A cmdlet's calibration or evaluation text, read once for every pipeline record: -Text as UTF-8, else the -TextPath
/// file, else nothing. A file that cannot be read is reported by the resolver and read again for the next record.
/// </summary>
internal sealed class CalibrationText
{
    private byte[]? _bytes;

    public bool TryRead(PSCmdlet cmdlet, string? text, string? path, out byte[] bytes)
    {
        _bytes ??= text is not null ? Encoding.UTF8.GetBytes(text) : path is not null ? FileSystemPathResolver.ReadInputFile(cmdlet, path) : [];
        bytes = _bytes ?? [];
        return _bytes is not null;
    }
}
