namespace GgufPs.Commands;

/// <summary>
/// Stops one answer when Ctrl+C is read as a key: polls the interception on a timer and cancels the answer's token,
/// so the chat goes on. On the worker thread; disposed with the answer.
/// </summary>
internal sealed class ControlCAnswerStop : IDisposable
{
    private const int PollMilliseconds = 50;
    private readonly Timer _timer;

    private ControlCAnswerStop(ControlCInterception interception, CancellationTokenSource answer) =>
        _timer = new Timer(_ =>
        {
            try
            {
                if (interception.Pressed)
                {
                    answer.Cancel();
                }
            }
            catch (ObjectDisposedException)
            {
                // A last tick after the answer ended.
            }
        }, null, PollMilliseconds, PollMilliseconds);

    /// <summary>Null when Ctrl+C is not intercepted (the host's own Ctrl+C then stops the pipeline).</summary>
    public static ControlCAnswerStop? Start(ControlCInterception? interception, CancellationTokenSource answer) =>
        interception is null ? null : new ControlCAnswerStop(interception, answer);

    public void Dispose() => _timer.Dispose();
}
