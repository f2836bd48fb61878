using System.Diagnostics;
using System.Runtime.InteropServices;

namespace GgufPs.Inference;

/// <summary>
/// Wall time per stage of the inference (each matrix product by weight, attention, norms, RoPE, ...), collected when
/// an <see cref="InferenceContext"/> or a perplexity run is given one, for the benchmark's profile. Stages are timed
/// on the thread that drives the graph, around their parallel work, so a stage's time includes its thread hand-offs.
/// Without a profile the graph pays one null check per stage. Given a clock of the process's CPU time, each stage
/// also gets the CPU time of all its threads (background JIT included), which other work on the machine disturbs
/// far less than wall time.
/// </summary>
internal sealed class InferenceProfile(Func<long>? cpuNanoseconds = null)
{
    public const string Embedding = "embedding";
    public const string Norm = "norms";
    public const string RoundActivations = "activation rounding (F16/BF16)";
    public const string QuantizeActivations = "activation quantizing (Q8_0/Q8_K)";
    public const string Bias = "biases";
    public const string Rope = "RoPE";
    public const string KeyValueStore = "KV cache store";
    public const string Attention = "attention";
    public const string Residual = "residual adds";
    public const string GatedActivation = "SwiGLU / GELU";
    public const string Scoring = "log-softmax and scoring";

    private readonly Dictionary<string, StageTime> _current = new(StringComparer.Ordinal);
    private readonly List<ProfiledChunk> _chunks = [];
    private long _chunkStart = Stopwatch.GetTimestamp();
    private long _chunkCpuStart;

    /// <summary>The finished chunks, in order.</summary>
    public IReadOnlyList<ProfiledChunk> Chunks => _chunks;

    /// <summary>The start of a stage: a Stopwatch timestamp, and the process's CPU time when there is a clock for it.</summary>
    public (long Wall, long Cpu) Start() => (Stopwatch.GetTimestamp(), cpuNanoseconds?.Invoke() ?? 0);

    /// <summary>Adds the time since <paramref name="start"/> (from <see cref="Start"/>) to <paramref name="stage"/>.</summary>
    public void Add(string stage, (long Wall, long Cpu) start)
    {
        long wall = Stopwatch.GetTimestamp() - start.Wall;
        long cpu = cpuNanoseconds is null ? 0 : cpuNanoseconds() - start.Cpu;
        ref var time = ref CollectionsMarshal.GetValueRefOrAddDefault(_current, stage, out _);
        time = new StageTime(time.Ticks + wall, time.CpuNanoseconds + cpu, time.Calls + 1);
    }

    /// <summary>Starts timing a chunk: stages from here on belong to it.</summary>
    public void BeginChunk()
    {
        _current.Clear();
        (_chunkStart, _chunkCpuStart) = Start();
    }

    /// <summary>Closes the chunk begun last: its wall and CPU time and its stages.</summary>
    public void EndChunk()
    {
        var (wall, cpu) = Start();
        _chunks.Add(new ProfiledChunk(wall - _chunkStart, cpuNanoseconds is null ? 0 : cpu - _chunkCpuStart,
            new Dictionary<string, StageTime>(_current, StringComparer.Ordinal)));
        _current.Clear();
    }
}
