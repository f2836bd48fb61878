using System.Management.Automation;
using GgufPs.Tokenization;

namespace GgufPs.Commands;

/// <summary>Get-GgufToken: tokenizes text with a model's own tokenizer, as llama-tokenize does.</summary>
[Cmdlet(VerbsCommon.Get, "GgufToken")]
[OutputType(typeof(GgufToken))]
[OutputType(typeof(int))]
public sealed class GetGgufTokenCommand : PSCmdlet
{
    private readonly Dictionary<string, Tokenizer> _tokenizers = new(Workflow.FileSystemPath.Comparer);

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
    [AllowEmptyString]
    public string Text { get; set; } = "";

    [Parameter]
    public SwitchParameter NoSpecial { get; set; }

    [Parameter]
    public SwitchParameter CountOnly { get; set; }

    protected override void ProcessRecord()
    {
        if (FileSystemPathResolver.ResolveExistingFile(this, Path) is not { } model)
        {
            return;
        }
        Tokenizer tokenizer;
        try
        {
            if (!_tokenizers.TryGetValue(model, out tokenizer!))
            {
                using var file = GgufFile.Open(model);
                tokenizer = Tokenizer.FromMetadata(file.Metadata);
                _tokenizers[model] = tokenizer;
            }
        }
        catch (Exception ex) when (ErrorCatalog.Covers(ex))
        {
            WriteError(ErrorCatalog.Record(ex, model));
            return;
        }

        bool special = !NoSpecial;
        int[] ids = tokenizer.Tokenize(Text, addSpecial: special, parseSpecial: special);
        if (CountOnly)
        {
            WriteObject(ids.Length);
            return;
        }
        for (int i = 0; i < ids.Length; i++)
        {
            WriteObject(new GgufToken(i, ids[i], tokenizer.TokenToString(ids[i]), tokenizer.GetText(ids[i])));
        }
    }
}
