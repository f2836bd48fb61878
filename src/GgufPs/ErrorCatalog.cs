using System.Management.Automation;
using System.Text.Json;
using GgufPs.Conversion;
using GgufPs.Hub;
using GgufPs.Workflow;

namespace GgufPs.Commands;

/// <summary>
/// The one mapping of the core's exceptions to ErrorRecords, so that the same mistake has the same error id and
/// category in every cmdlet. Input that cannot be read as what it claims to be is InvalidData (or ReadError when it
/// ended early); failures to write are WriteError; missing files ObjectNotFound; existing outputs ResourceExists;
/// unsupported architectures and types NotImplemented (NotSupportedException). A new kind of core exception gets a
/// line here, not a filter in a cmdlet.
/// </summary>
internal static class ErrorCatalog
{
    // Linux and macOS errno values and Windows HRESULTs that .NET leaves as plain IOExceptions.
    private const int ENOSPC = 28, EFBIG = 27, EROFS = 30, EDQUOT_Linux = 122, EDQUOT_MacOS = 69;
    private const int DiskFull = unchecked((int)0x80070070), HandleDiskFull = unchecked((int)0x80070027);
    private const int SharingViolation = unchecked((int)0x80070020), LockViolation = unchecked((int)0x80070021);

    /// <summary>
    /// The exceptions the core throws for bad input, a refused operation or a stop: a cmdlet catches these (and only
    /// these) with <c>catch (Exception ex) when (ErrorCatalog.Covers(ex))</c>. Anything else is a bug, left to
    /// PowerShell's terminating error.
    /// </summary>
    public static bool Covers(Exception ex) =>
        ex is IOException or UnauthorizedAccessException or InvalidDataException or JsonException or FormatException
            or OverflowException or NotSupportedException or ArgumentException or InvalidOperationException
            or OperationCanceledException;

    public static ErrorRecord Record(Exception ex, object? target)
    {
        ArgumentNullException.ThrowIfNull(ex);
        if (ex is IContainsErrorRecord { ErrorRecord: { } record })
        {
            // PowerShell's own (a path that does not resolve, ...) already carry their id and category.
            return new ErrorRecord(record, ex);
        }
        var (id, category) = Classify(ex);
        return new ErrorRecord(ex, id, category, TargetOf(ex) ?? target);
    }

    /// <summary>The id and category of <paramref name="ex"/>: the catalogue itself.</summary>
    public static (string Id, ErrorCategory Category) Classify(Exception ex) => ex switch
    {
        UnknownTypeException => ("UnknownType", ErrorCategory.InvalidArgument),
        Generation.UnknownChatTemplateException => ("UnknownChatTemplate", ErrorCategory.InvalidArgument),
        OutputIsInputException => ("OutputIsInput", ErrorCategory.InvalidArgument),
        MergeIsModelException => ("MergeIsModel", ErrorCategory.InvalidArgument),
        OutputExistsException => ("OutputExists", ErrorCategory.ResourceExists),
        InsufficientSpaceException => ("InsufficientDiskSpace", ErrorCategory.WriteError),
        GgufFormatException => ("InvalidGgufFile", ErrorCategory.InvalidData),
        GgufSplitException => ("InvalidSplitSet", ErrorCategory.InvalidData),
        ModelFormatException => ("InvalidModelFile", ErrorCategory.InvalidData),
        EndOfStreamException => ("TruncatedInput", ErrorCategory.ReadError),
        HfRepositoryNotFoundException => ("RepositoryNotFound", ErrorCategory.ObjectNotFound),
        HfGatedRepositoryException => ("GatedRepository", ErrorCategory.PermissionDenied),
        HfEntryNotFoundException => ("EntryNotFound", ErrorCategory.ObjectNotFound),
        HfRevisionNotFoundException => ("RevisionNotFound", ErrorCategory.ObjectNotFound),
        HfOfflineCacheMissException => ("OfflineCacheMiss", ErrorCategory.ObjectNotFound),
        HfIntegrityException => ("IntegrityCheckFailed", ErrorCategory.InvalidResult),
        HfUnsafePathException => ("UnsafePath", ErrorCategory.SecurityError),
        HfDiskFullException => ("InsufficientDiskSpace", ErrorCategory.WriteError),
        HfHubException => ("HubRequestFailed", ErrorCategory.ConnectionError),
        FileNotFoundException => ("FileNotFound", ErrorCategory.ObjectNotFound),
        DirectoryNotFoundException => ("DirectoryNotFound", ErrorCategory.ObjectNotFound),
        IOException io when io.HResult is ENOSPC or EDQUOT_Linux or EDQUOT_MacOS or DiskFull or HandleDiskFull
            => ("InsufficientDiskSpace", ErrorCategory.WriteError),
        IOException io when io.HResult is EFBIG or EROFS => ("WriteFailed", ErrorCategory.WriteError),
        IOException io when io.HResult is SharingViolation or LockViolation => ("FileInUse", ErrorCategory.ResourceUnavailable),
        IOException => ("IOError", ErrorCategory.NotSpecified),
        InvalidDataException or JsonException or FormatException or OverflowException => ("InvalidData", ErrorCategory.InvalidData),
        UnauthorizedAccessException => ("AccessDenied", ErrorCategory.PermissionDenied),
        NotSupportedException => ("NotSupported", ErrorCategory.NotImplemented),
        OperationCanceledException => ("Stopped", ErrorCategory.OperationStopped),
        ArgumentException => ("InvalidArgument", ErrorCategory.InvalidArgument),
        InvalidOperationException => ("InvalidOperation", ErrorCategory.InvalidOperation),
        _ => ("Unexpected", ErrorCategory.NotSpecified),
    };

    /// <summary>A file that was to be read and does not exist.</summary>
    public static ErrorRecord FileNotFound(string path) =>
        Record(new FileNotFoundException($"Cannot find the file '{path}' because it does not exist.", path), path);

    /// <summary>A folder where a file was expected.</summary>
    public static ErrorRecord NotAFile(string path) =>
        new(new ArgumentException($"'{path}' is a directory, not a file."), "NotAFile", ErrorCategory.InvalidArgument, path);

    /// <summary>A mistake in the arguments that only the cmdlet can see, under an id of its own.</summary>
    public static ErrorRecord InvalidArgument(string id, string message, object? target) =>
        new(new ArgumentException(message), id, ErrorCategory.InvalidArgument, target);

    // The file an exception is about is a better target than the cmdlet's input.
    private static string? TargetOf(Exception ex) => ex switch
    {
        OutputExistsException e => e.Path,
        OutputIsInputException e => e.Path,
        MergeIsModelException e => e.Path,
        UnknownTypeException e => e.Name,
        InsufficientSpaceException e => e.Directory,
        GgufSplitException e => e.FilePath,
        GgufMissingPartException e => e.FileName,
        HfRepositoryNotFoundException e => e.Repository,
        HfGatedRepositoryException e => e.Repository,
        HfRevisionNotFoundException e => e.Repository,
        _ => null,
    };
}
