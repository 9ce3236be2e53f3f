using System.Runtime.InteropServices;

namespace Training.Train;

/// <summary>
/// Ctrl-C (SIGINT) and SIGTERM ask the run to stop: a probe in progress is cancelled at its next product
/// (<see cref="Token"/>) and the run checkpoints at that step, otherwise it stops at the end of the current
/// step; either way its traces stay complete. The first is acknowledged at once (<see cref="Acknowledge"/>: on
/// stderr, or above a live progress bar so the bar does not overwrite it); a repeat within
/// three seconds (an impatient double press) is absorbed too; a later one is left to the default handler,
/// which ends the process: the run then resumes from its last checkpoint, whose files are always whole.
/// </summary>
internal sealed class StopSignal : IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = new();
    private volatile bool _requested;
    private readonly CancellationTokenSource _cancel = new();
    private DateTime _firstAt;

    public StopSignal()
    {
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
            _registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                if (_requested)
                {
                    if (DateTime.UtcNow - _firstAt < TimeSpan.FromSeconds(3)) context.Cancel = true;
                    return;                     // a later signal: let it terminate
                }
                _requested = true;
                _firstAt = DateTime.UtcNow;
                context.Cancel = true;
                Acknowledge($"probes: {context.Signal} received: stopping at this step (a probe in progress is cancelled) and writing a "
                    + $"checkpoint; press again after 3 s to quit at once.");
                _cancel.Cancel();
            }));
    }

    public bool Requested => _requested;

    /// <summary>Where the first signal's one-line acknowledgement goes (called on the signal's thread).</summary>
    public Action<string> Acknowledge { get; set; } = Console.Error.WriteLine;

    /// <summary>Cancelled with the first signal: what the probes check before each product.</summary>
    public CancellationToken Token => _cancel.Token;

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _cancel.Dispose();
    }
}
