namespace GgufPs.Tests.Gguf;

/// <summary>An IProgress that calls back on the reporting thread, so a test can react at an exact point.</summary>
internal sealed class CallbackProgress<T>(Action<T> action) : IProgress<T>
{
    public void Report(T value) => action(value);
}
