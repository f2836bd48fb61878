using System.Collections;
using System.Management.Automation;
using GgufPs.Conversion;
using GgufPs.Workflow;

namespace GgufPs.Commands;

/// <summary>Convert-Model: a Hugging Face model folder (or a llama2.c checkpoint) to GGUF, streamed tensor by tensor.</summary>
[Cmdlet(VerbsData.Convert, "Model", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(GgufModelInfo))]
public sealed class ConvertModelCommand : LongRunningCommand
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter]
    public ConversionOutputType OutType { get; set; } = ConversionOutputType.F16;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? OutputPath { get; set; }

    [Parameter]
    public SwitchParameter VocabOnly { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public IDictionary? Metadata { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TokenizerPath { get; set; }

    /// <summary>--split-max-size: bytes, or convert_hf_to_gguf's '500M'/'5G' (K, M, G are powers of 1000).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SplitMaxSize { get; set; }

    /// <summary>--split-max-tensors.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int SplitMaxTensors { get; set; }

    protected override void ProcessRecord()
    {
        string input = FileSystemPathResolver.ResolveOutput(this, Path);
        ReportCoreErrors(input, () =>
        {
            var options = new ConversionOptions
            {
                OutputType = OutType,
                OutputPath = FileSystemPathResolver.ResolveOptionalOutput(this, OutputPath),
                VocabOnly = VocabOnly,
                Metadata = PlainValueConverter.ToPlainEntries(Metadata, nameof(Metadata)).ToDictionary(e => e.Key, e => e.Value),
                TokenizerPath = FileSystemPathResolver.ResolveOptionalOutput(this, TokenizerPath),
            };
            using var job = ConversionJob.Create(input, options, SplitMaxSize, SplitMaxTensors > 0 ? SplitMaxTensors : null, WriteWarning);
            foreach (string output in job.OutputPaths)
            {
                OutputFile.Check(output, [input], Force);
            }
            if (ShouldProcess(job.Describe(), job.Summary, "Convert-Model"))
            {
                WriteObject(RunWorker((channel, cancel) => job.Run(Force, channel.ProgressOf<ConversionProgress>(p => new WorkerProgress(1, "Convert-Model", job.ProgressStatus)
                {
                    PercentComplete = (int)(p.Fraction * 100),
                    Remaining = p.Remaining,
                    CurrentOperation = ConversionJob.CurrentOperation(p),
                }), cancel)));
            }
        });
    }
}
