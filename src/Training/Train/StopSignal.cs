using System.Runtime.InteropServices;

namespace Training.Train;

/// <summary>
/// Ctrl-C (SIGINT) and SIGTERM ask the run to stop at the end of the current step, so that it can write
/// a checkpoint and its traces stay complete. A second Ctrl-C is left to the default handler.
/// </summary>
public sealed class StopSignal : IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = new();
    private volatile bool _requested;

    public StopSignal()
    {
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
            _registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                if (_requested) return;        // second signal: let it terminate
                _requested = true;
                context.Cancel = true;
            }));
    }

    public bool Requested => _requested;

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
    }
}
