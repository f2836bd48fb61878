using System.Management.Automation;
using GgufPs.Quantization;
using GgufPs.Workflow;

namespace GgufPs.Commands;

/// <summary>
/// Compare-Quantization: the seed's format comparison for one's own model. Quantizes the source to each type,
/// measures perplexity, KL divergence and speed on the same text, and returns one row per type (after the source's
/// own baseline row). It writes files (the quantizations, removed afterwards unless -KeepFiles), so it supports
/// -WhatIf and -Confirm, and checks that they fit on the disk before it starts.
/// </summary>
[Cmdlet(VerbsData.Compare, "Quantization", DefaultParameterSetName = TextPathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(QuantizationComparison))]
public sealed class CompareQuantizationCommand : LongRunningCommand
{
    private const string TextPathSet = "TextPath";
    private const string TextSet = "Text";

    private List<QuantizationPreset> _presets = [];
    private ImportanceMatrix? _importance;
    private readonly CalibrationText _text = new();

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ParameterSetName = TextPathSet)]
    [ValidateNotNullOrEmpty]
    public string TextPath { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = TextSet)]
    [AllowEmptyString]
    public string Text { get; set; } = "";

    [Parameter]
    [ArgumentCompleter(typeof(QuantizationTypeCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Type { get; set; } = [.. QuantizationComparisonOptions.DefaultTypeNames];

    [Parameter]
    [ValidateRange(4, 1 << 20)]
    public int Context { get; set; } = 512;

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Chunks { get; set; }

    [Parameter]
    [ValidateRange(1, 1 << 20)]
    public int BatchSize { get; set; } = 2048;

    [Parameter]
    [ValidateRange(1, 1024)]
    public int Threads { get; set; } = Environment.ProcessorCount;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ImportanceMatrix { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? OutputDirectory { get; set; }

    [Parameter]
    [ValidateNotNull]
    public string SamplePrompt { get; set; } = QuantizationComparisonOptions.DefaultSamplePrompt;

    [Parameter]
    [ValidateRange(0, 4096)]
    public int SampleTokens { get; set; } = 16;

    [Parameter]
    public SwitchParameter KeepFiles { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void BeginProcessing()
    {
        _presets = QuantizationTypeParameter.Parse(this, Type);
        _importance = ImportanceMatrixParameter.Load(this, ImportanceMatrix, describe: false);
    }

    protected override void ProcessRecord()
    {
        if (FileSystemPathResolver.ResolveExistingFile(this, Path) is not { } source || !_text.TryRead(this, ParameterSetName == TextSet ? Text : null, TextPath, out byte[] text))
        {
            return;
        }
        ReportCoreErrors(source, () =>
        {
            using var comparer = QuantizationComparer.Open(source, new QuantizationComparisonOptions
            {
                Types = _presets, Context = Context, Chunks = ChunksGiven, BatchSize = BatchSize, Threads = Threads, ImportanceMatrix = _importance,
                OutputDirectory = FileSystemPathResolver.ResolveOptionalOutput(this, OutputDirectory),
                KeepFiles = KeepFiles, Overwrite = Force, SamplePrompt = SamplePrompt, SampleTokens = SampleTokens,
            });
            var approved = Approve(comparer);
            if (approved.Count > 0)
            {
                comparer.CheckFreeSpace(text, approved);
                RunWorker((channel, cancel) => Compare(channel, cancel, comparer, approved, text));
            }
        });
    }

    // Reports what cannot be compared and the fallbacks, then asks about each type before any work starts.
    private List<QuantizationCandidate> Approve(QuantizationComparer comparer)
    {
        var approved = new List<QuantizationCandidate>();
        foreach (var candidate in comparer.Candidates)
        {
            if (candidate.Plan is not { } plan)
            {
                WriteCoreError(candidate.Error!, candidate.Type.Name);
                continue;
            }
            candidate.FallbackSummaries.ToList().ForEach(WriteWarning);
            plan.Notes.ToList().ForEach(note => WriteVerbose(QuantizationComparisonText.Note(candidate, note)));
            if (ShouldProcess(candidate.OutputPath, QuantizationComparisonText.Action(candidate, plan, ChunksGiven, Context, KeepFiles)))
            {
                approved.Add(candidate);
            }
        }
        return approved;
    }

    // On the worker thread: the source's row, then one per type as each is done. A type that fails is reported and
    // the next goes on; without the source's measurement there is nothing to compare with.
    private static void Compare(WorkerChannel channel, CancellationToken cancel, QuantizationComparer comparer, List<QuantizationCandidate> approved, byte[] text)
    {
        comparer.Warning = channel.Warning;
        channel.Output(comparer.MeasureSource(text, QuantizationComparisonProgressBars.For(channel, comparer, 0, approved.Count, QuantizationComparisonText.SourceStatus(comparer.SourceType)), cancel));
        for (int i = 0; i < approved.Count; i++)
        {
            var candidate = approved[i];
            try
            {
                channel.Output(comparer.Compare(candidate, QuantizationComparisonProgressBars.For(channel, comparer, i + 1, approved.Count, QuantizationComparisonText.TypeStatus(candidate, i + 1, approved.Count)), cancel));
            }
            catch (Exception ex) when (ErrorCatalog.Covers(ex) && !cancel.IsCancellationRequested)
            {
                channel.Error(ex, candidate.Type.Name);
            }
        }
    }

    private int? ChunksGiven => IsBound(nameof(Chunks)) ? Chunks : null;
}
