using Probes.Flows;

namespace Training.Flows;

/// <summary>
/// What the central flow keeps from one refresh of its critical span to the next (<see cref="FlowRow"/>, --refresh-every): the
/// span itself (owned: setting it disposes the last), whether its interval is held or refreshed at every substep in its shadow,
/// the eigenvalues it carried to the end of its last interval (checked against the next refresh; null before the first), and
/// those of the last refresh (each eigenvalue's pace). A network's flow keeps it in its checkpoint.
/// </summary>
internal sealed class HeldSpan : IDisposable
{
    private CentralFlow.Span? _span;

    public CentralFlow.Span? Span
    {
        get => _span;
        set
        {
            _span?.Dispose();
            _span = value;
        }
    }

    public bool Holding { get; set; }

    public double[]? Carried { get; set; }

    public double[] Refreshed { get; set; } = [];

    public void Dispose() => Span = null;
}
