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

    /// <summary>
    /// Runs <paramref name="answer"/> with a token that <paramref name="cancel"/> cancels and, when Ctrl+C is
    /// intercepted, so does a press; without an interception the host's own Ctrl+C stops the pipeline.
    /// </summary>
    public static T Run<T>(ControlCInterception? interception, CancellationToken cancel, Func<CancellationToken, T> answer)
    {
        using var source = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        using var watch = interception is null ? null : new ControlCAnswerStop(interception, source);
        return answer(source.Token);
    }

    public void Dispose() => _timer.Dispose();
}
