using System.Management.Automation;
using GgufPs.Quantization;

namespace GgufPs.Commands;

/// <summary>
/// Get-ImportanceMatrix: reads importance matrix files (GGUF or legacy .dat) and describes them, or with -Statistics
/// gives llama-imatrix --show-statistics' per-tensor rows.
/// </summary>
[Cmdlet(VerbsCommon.Get, "ImportanceMatrix")]
[OutputType(typeof(ImportanceMatrixInfo), typeof(ImportanceMatrixTensorStatistics))]
public sealed class GetImportanceMatrixCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[] Path { get; set; } = [];

    [Parameter]
    public SwitchParameter Statistics { get; set; }

    protected override void ProcessRecord()
    {
        foreach (string path in FileSystemPathResolver.ResolveExistingFiles(this, Path, literal: false))
        {
            try
            {
                var matrix = ImportanceMatrix.Load(path);
                var info = ImportanceMatrixInfo.FromFile(matrix, path);
                if (Statistics)
                {
                    WriteObject(info.ComputeStatistics(), enumerateCollection: true);
                }
                else
                {
                    WriteObject(info);
                }
            }
            catch (Exception ex) when (ErrorCatalog.Covers(ex))
            {
                WriteError(ErrorCatalog.Record(ex, path));
            }
        }
    }
}
