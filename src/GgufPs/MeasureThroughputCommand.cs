using System.Management.Automation;
using GgufPs.Evaluation;

namespace GgufPs.Commands;

/// <summary>
/// Measure-Throughput: llama-bench in PowerShell. For each model and thread count, the prompt-processing test (pp512)
/// and the generation test (tg128) with random tokens and no sampling, warmed up and then timed over the repetitions;
/// one row per test as it finishes.
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "Throughput")]
[OutputType(typeof(ThroughputResult))]
public sealed class MeasureThroughputCommand : LongRunningCommand
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[] Path { get; set; } = [];

    [Parameter]
    [ValidateRange(0, 1 << 20)]
    public int PromptTokens { get; set; } = 512;

    [Parameter]
    [ValidateRange(0, 1 << 20)]
    public int GenerateTokens { get; set; } = 128;

    [Parameter]
    [ValidateRange(1, 10000)]
    public int Repetitions { get; set; } = 5;

    [Parameter]
    [ValidateNotNullOrEmpty]
    [ValidateRange(1, 1024)]
    public int[] Threads { get; set; } = [Environment.ProcessorCount];

    [Parameter]
    public SwitchParameter NoWarmup { get; set; }

    protected override void BeginProcessing()
    {
        if (PromptTokens == 0 && GenerateTokens == 0)
        {
            ThrowTerminatingError(ErrorCatalog.InvalidArgument("NothingToMeasure",
                "-PromptTokens and -GenerateTokens are both 0: there is no test to run.", null));
        }
    }

    protected override void ProcessRecord()
    {
        var options = new ThroughputOptions
        {
            PromptTokens = PromptTokens,
            GenerateTokens = GenerateTokens,
            Repetitions = Repetitions,
            Warmup = !NoWarmup,
        };
        foreach (string model in FileSystemPathResolver.ResolveExistingFiles(this, Path, literal: false))
        {
            if (Interrupted)
            {
                return;
            }
            int[] threads = Threads;
            ReportCoreErrors(model, () => RunInterruptible((channel, cancel) => Measure(channel, cancel, model, options, threads),
                "Stopped; the rows above are the tests that were finished."));
        }
    }

    // On the worker thread: every test of every thread count, each row out as soon as its test is done.
    private static void Measure(WorkerChannel channel, CancellationToken cancel, string model, ThroughputOptions options, int[] threads)
    {
        string activity = $"Measure-Throughput {System.IO.Path.GetFileName(model)}";
        channel.Progress(new WorkerProgress(1, activity, "Loading the model..."));
        using var bench = ThroughputBenchmark.Open(model, options);
        int tests = bench.Tests.Count * threads.Length;
        int done = 0;
        foreach (int count in threads)
        {
            var progress = channel.ProgressOf<ThroughputProgress>(p => new WorkerProgress(1, activity,
                p.RepetitionsDone == 0 ? $"{p.Test}, {p.Threads} thread(s): warming up" : $"{p.Test}, {p.Threads} thread(s): run {p.RepetitionsDone} of {p.Repetitions}")
            {
                PercentComplete = WorkerProgress.Percent(done * options.Repetitions + p.RepetitionsDone, tests * options.Repetitions),
            });
            foreach (var row in bench.Run(count, progress, cancel))
            {
                channel.Output(row);
                done++;
            }
        }
    }
}
