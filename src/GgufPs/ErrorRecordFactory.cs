using System.Management.Automation;

namespace GgufPs.Commands;

/// <summary>Turns the core's exceptions into ErrorRecords with the category a PowerShell user expects.</summary>
internal static class ErrorRecordFactory
{
    public static ErrorRecord FromException(Exception ex, object? target)
    {
        var (id, category) = ex switch
        {
            GgufFormatException => ("InvalidGgufFile", ErrorCategory.InvalidData),
            Conversion.ModelFormatException => ("InvalidModelFile", ErrorCategory.InvalidData),
            FileNotFoundException or DirectoryNotFoundException => ("FileNotFound", ErrorCategory.ObjectNotFound),
            UnauthorizedAccessException => ("AccessDenied", ErrorCategory.PermissionDenied),
            NotImplementedException or NotSupportedException => ("NotSupported", ErrorCategory.NotImplemented),
            OperationCanceledException => ("Stopped", ErrorCategory.OperationStopped),
            ArgumentException => ("InvalidArgument", ErrorCategory.InvalidArgument),
            InvalidDataException => ("InvalidData", ErrorCategory.InvalidData),
            InvalidOperationException => ("InvalidOperation", ErrorCategory.InvalidOperation),
            IOException => ("IOError", ErrorCategory.WriteError),
            _ => ("Unexpected", ErrorCategory.NotSpecified),
        };
        return new ErrorRecord(ex, id, category, target);
    }

    public static ErrorRecord FileNotFound(string path) =>
        new(new FileNotFoundException($"Cannot find the file '{path}' because it does not exist.", path),
            "FileNotFound", ErrorCategory.ObjectNotFound, path);

    public static ErrorRecord NotAFile(string path) =>
        new(new ArgumentException($"'{path}' is a directory, not a GGUF file."),
            "NotAFile", ErrorCategory.InvalidArgument, path);
}
