using System.Management.Automation;
using System.Management.Automation.Host;
using System.Management.Automation.Runspaces;

namespace GgufPs.Commands;

/// <summary>
/// Reads Ctrl+C as a key while long work runs, so that stopping can return what was done so far: PowerShell's own
/// Ctrl+C stops the pipeline, after which a cmdlet can no longer write its result.
/// <para>
/// Console.TreatControlCAsInput and the keyboard belong to the whole process, so this intercepts only for a command
/// on the pipeline of the host's own runspace with a user at the console (input not redirected). In Start-ThreadJob,
/// ForEach-Object -Parallel or a runspace of one's own, the prompt may be reading the keyboard at the same time; there
/// nothing is intercepted, and Ctrl+C stops the pipeline as usual. Interceptions nest (a cmdlet further down a
/// streaming pipeline), so they are counted: the first saves the setting it found, the last restores it, and a
/// Ctrl+C is seen by every interception active when it was pressed.
/// </para>
/// </summary>
internal sealed class ControlCInterception : IDisposable
{
    private static readonly Lock Gate = new();
    private static int s_active;
    private static bool s_found;
    private static long s_presses;

    private readonly long _pressesAtStart;
    private bool _disposed;

    private ControlCInterception(long pressesAtStart) => _pressesAtStart = pressesAtStart;

    /// <summary>True once Ctrl+C has been pressed since this interception started.</summary>
    public bool Pressed
    {
        get
        {
            lock (Gate)
            {
                try
                {
                    while (Console.KeyAvailable)
                    {
                        var key = Console.ReadKey(intercept: true);
                        if (key.Key == ConsoleKey.C && key.Modifiers.HasFlag(ConsoleModifiers.Control))
                        {
                            s_presses++;
                        }
                    }
                }
                catch (Exception ex) when (ex is InvalidOperationException or IOException)
                {
                }
                return s_presses > _pressesAtStart;
            }
        }
    }

    /// <summary>Whether <paramref name="cmdlet"/> runs where Ctrl+C may be intercepted (see the class).</summary>
    public static bool Applies(PSCmdlet cmdlet)
    {
        if (Console.IsInputRedirected || Runspace.DefaultRunspace is not { } current)
        {
            return false;
        }
        try
        {
            return cmdlet.Host is IHostSupportsInteractiveSession session && ReferenceEquals(session.Runspace, current);
        }
        catch (NotImplementedException)
        {
            // The host has no interactive session (PowerShell's wrapper throws PSNotImplementedException).
            return false;
        }
    }

    /// <summary>Starts intercepting, or returns null where that does not apply.</summary>
    public static ControlCInterception? TryStart(PSCmdlet cmdlet)
    {
        if (!Applies(cmdlet))
        {
            return null;
        }
        lock (Gate)
        {
            try
            {
                if (s_active == 0)
                {
                    s_found = Console.TreatControlCAsInput;
                    Console.TreatControlCAsInput = true;
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or PlatformNotSupportedException)
            {
                return null;
            }
            s_active++;
            return new ControlCInterception(s_presses);
        }
    }

    public void Dispose()
    {
        lock (Gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            if (--s_active == 0)
            {
                try
                {
                    Console.TreatControlCAsInput = s_found;
                }
                catch (Exception ex) when (ex is InvalidOperationException or IOException or PlatformNotSupportedException)
                {
                }
            }
        }
    }
}
