using System.Management.Automation;

namespace GgufPs.Commands;

/// <summary>Get-GgufInfo: a GGUF file's metadata and tensors as objects.</summary>
[Cmdlet(VerbsCommon.Get, "GgufInfo", DefaultParameterSetName = PathSet)]
[OutputType(typeof(GgufModelInfo))]
[OutputType(typeof(GgufTensorInfo), ParameterSetName = [PathSet, LiteralPathSet])]
[OutputType(typeof(GgufMetadataEntry), ParameterSetName = [PathSet, LiteralPathSet])]
public sealed class GetGgufInfoCommand : PSCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[] Path { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = [];

    // The first parts of the split sets already written, so that the parts of one set (as Get-ChildItem lists them)
    // give the set once.
    private readonly HashSet<string> _sets = new(Workflow.FileSystemPath.Comparer);

    [Parameter]
    public SwitchParameter Tensors { get; set; }

    [Parameter]
    public SwitchParameter Metadata { get; set; }

    protected override void BeginProcessing()
    {
        if (Tensors && Metadata)
        {
            ThrowTerminatingError(new ErrorRecord(
                new ArgumentException("Use -Tensors or -Metadata, not both."),
                "TensorsAndMetadata", ErrorCategory.InvalidArgument, null));
        }
    }

    protected override void ProcessRecord()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        foreach (string file in FileSystemPathResolver.ResolveExistingFiles(this, literal ? LiteralPath : Path, literal))
        {
            GgufModelInfo info;
            try
            {
                info = GgufFile.ReadInfo(file);
            }
            catch (Exception ex) when (ErrorCatalog.Covers(ex))
            {
                WriteError(ErrorCatalog.Record(ex, file));
                continue;
            }
            if (info.SplitCount > 1 && !_sets.Add(info.Path))
            {
                WriteVerbose($"'{file}' is a part of the split set '{info.Path}', which is already listed.");
                continue;
            }
            if (Tensors)
            {
                WriteObject(info.Tensors, enumerateCollection: true);
            }
            else if (Metadata)
            {
                WriteObject(info.Metadata, enumerateCollection: true);
            }
            else
            {
                WriteObject(info);
            }
        }
    }
}
