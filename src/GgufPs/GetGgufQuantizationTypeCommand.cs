using System.Management.Automation;
using GgufPs.Workflow;

namespace GgufPs.Commands;

/// <summary>
/// Get-GgufQuantizationType: the quantization types Invoke-Quantize and Compare-Quantization accept, with their block
/// layouts, llama.cpp's notes and what each is for; with -Path, what each would give for a particular model.
/// </summary>
[Cmdlet(VerbsCommon.Get, "GgufQuantizationType", DefaultParameterSetName = CatalogSet)]
[OutputType(typeof(QuantizationType), ParameterSetName = [CatalogSet])]
[OutputType(typeof(QuantizationEstimate), ParameterSetName = [ModelSet])]
public sealed class GetGgufQuantizationTypeCommand : PSCmdlet
{
    private const string CatalogSet = "Catalog";
    private const string ModelSet = "Model";

    private Quantization.ImportanceMatrix? _importance;

    [Parameter(Position = 0)]
    [ArgumentCompleter(typeof(QuantizationTypeCompleter))]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = ["*"];

    [Parameter(Mandatory = true, ParameterSetName = ModelSet, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(ParameterSetName = ModelSet)]
    [ValidateNotNullOrEmpty]
    public string? ImportanceMatrix { get; set; }

    protected override void BeginProcessing()
    {
        if (ImportanceMatrix is null)
        {
            return;
        }
        string path = FileSystemPathResolver.ResolveOutput(this, ImportanceMatrix);
        try
        {
            _importance = Quantization.ImportanceMatrix.Load(path, ImportanceMatrix);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or GgufFormatException)
        {
            ThrowTerminatingError(ErrorCatalog.Record(ex, path));
        }
    }

    protected override void ProcessRecord()
    {
        var types = Select();
        if (ParameterSetName == CatalogSet)
        {
            WriteObject(types, enumerateCollection: true);
            return;
        }
        foreach (string model in FileSystemPathResolver.ResolveExistingFiles(this, [Path], literal: false))
        {
            try
            {
                using var file = GgufFile.Open(model);
                foreach (var type in types.Where(t => !t.IsCopy))
                {
                    WriteObject(QuantizationEstimator.Estimate(file, type, _importance));
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or GgufFormatException)
            {
                WriteError(ErrorCatalog.Record(ex, model));
            }
        }
    }

    // Every name must match something, as Get-Command's -Name does; a name without wildcards that matches nothing is an error.
    private List<QuantizationType> Select()
    {
        var selected = new List<QuantizationType>();
        foreach (string name in Name)
        {
            var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase | WildcardOptions.CultureInvariant);
            var matches = QuantizationTypeCatalog.All.Where(t => pattern.IsMatch(t.Name)).ToList();
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
            {
                WriteError(new ErrorRecord(
                    new ArgumentException($"'{name}' is not a quantization type. Valid types: {string.Join(", ", QuantizationTypeCatalog.All.Select(t => t.Name))}."),
                    "UnknownType", ErrorCategory.ObjectNotFound, name));
            }
            selected.AddRange(matches.Where(m => !selected.Contains(m)));
        }
        return selected;
    }
}
