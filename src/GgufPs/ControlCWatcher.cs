namespace GgufPs.Commands;

/// <summary>
/// Reads Ctrl+C as a key while a long measurement runs in an interactive console, so that stopping returns what
/// was measured so far: PowerShell's own Ctrl+C stops the pipeline, after which a cmdlet can no longer write its
/// result. Without an interactive console nothing is intercepted and Ctrl+C stops the pipeline as usual.
/// </summary>
internal sealed class ControlCWatcher : IDisposable
{
    private readonly bool _previous;

    private ControlCWatcher(bool previous) => _previous = previous;

    public bool ControlCPressed
    {
        get
        {
            try
            {
                while (Console.KeyAvailable)
                {
                    var key = Console.ReadKey(intercept: true);
                    if (key.Key == ConsoleKey.C && key.Modifiers.HasFlag(ConsoleModifiers.Control))
                    {
                        return true;
                    }
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException)
            {
            }
            return false;
        }
    }

    public static ControlCWatcher? TryStart()
    {
        if (Console.IsInputRedirected || Console.IsOutputRedirected)
        {
            return null;
        }
        try
        {
            bool previous = Console.TreatControlCAsInput;
            Console.TreatControlCAsInput = true;
            return new ControlCWatcher(previous);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or PlatformNotSupportedException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        try
        {
            Console.TreatControlCAsInput = _previous;
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or PlatformNotSupportedException)
        {
        }
    }
}
