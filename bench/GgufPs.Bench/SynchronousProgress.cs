namespace GgufPs.Bench;

/// <summary>An IProgress that runs its action on the reporting thread, at once (Progress&lt;T&gt; would post it elsewhere).</summary>
internal sealed class SynchronousProgress<T>(Action<T> action) : IProgress<T>
{
    public void Report(T value) => action(value);
}
