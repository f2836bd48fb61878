using System.Management.Automation;
using GgufPs.Workflow;

namespace GgufPs.Commands;

/// <summary>
/// Get-GgufQuantizationType: the quantization types Invoke-Quantize and Compare-Quantization accept, with their block
/// layouts, llama.cpp's notes and what each is for; with a model (-Path, or a path among the names), what each would
/// give for that model.
/// </summary>
[Cmdlet(VerbsCommon.Get, "GgufQuantizationType", DefaultParameterSetName = CatalogSet)]
[OutputType(typeof(QuantizationType), ParameterSetName = [CatalogSet])]
[OutputType(typeof(QuantizationEstimate), ParameterSetName = [ModelSet])]
public sealed class GetGgufQuantizationTypeCommand : PSCmdlet
{
    private const string CatalogSet = "Catalog";
    private const string ModelSet = "Model";

    private Quantization.ImportanceMatrix? _importance;

    // Remaining arguments too, so that `Get-GgufQuantizationType ./model.gguf Q8_0, Q4_K_M` reads as it is meant.
    [Parameter(Position = 0, ValueFromRemainingArguments = true)]
    [FlattenedList]
    [ArgumentCompleter(typeof(QuantizationTypeCompleter))]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = ["*"];

    [Parameter(Mandatory = true, ParameterSetName = ModelSet, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter]
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
        catch (Exception ex) when (ErrorCatalog.Covers(ex))
        {
            ThrowTerminatingError(ErrorCatalog.Record(ex, path));
        }
    }

    protected override void ProcessRecord()
    {
        // A name with a '.' or a path separator is a model's file, as with -Path: no type name has one.
        string[] models = ParameterSetName == ModelSet ? [Path] : Name.Where(IsPath).ToArray();
        string[] names = ParameterSetName == ModelSet ? Name : Name.Where(n => !IsPath(n)).DefaultIfEmpty("*").ToArray();
        var types = Select(names);
        if (models.Length == 0)
        {
            WriteObject(types, enumerateCollection: true);
            return;
        }
        foreach (string model in FileSystemPathResolver.ResolveExistingFiles(this, models, literal: false))
        {
            try
            {
                using var file = GgufFile.Open(model);
                foreach (var type in types.Where(t => !t.IsCopy))
                {
                    WriteObject(QuantizationEstimator.Estimate(file, type, _importance));
                }
            }
            catch (Exception ex) when (ErrorCatalog.Covers(ex))
            {
                WriteError(ErrorCatalog.Record(ex, model));
            }
        }
    }

    private static bool IsPath(string name) => name.IndexOfAny(['.', '/', '\\']) >= 0;

    // Every name must match something, as Get-Command's -Name does; a name without wildcards that matches nothing is an error.
    private List<QuantizationType> Select(string[] names)
    {
        var selected = new List<QuantizationType>();
        foreach (string name in names)
        {
            var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase | WildcardOptions.CultureInvariant);
            var matches = QuantizationTypeCatalog.All.Where(t => pattern.IsMatch(t.Name)).ToList();
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
            {
                WriteError(ErrorCatalog.Record(QuantizationTypeCatalog.Unknown(name, "To estimate the types for a model, give its file (-Path)."), name));
            }
            selected.AddRange(matches.Where(m => !selected.Contains(m)));
        }
        return selected;
    }
}
