using static TorchSharp.torch;

namespace Probes.Probing;

/// <summary>
/// One operator's eigenvectors from the last probes (up to <see cref="Capacity"/>, newest first), rounded to
/// float32, and the start built from them.
/// </summary>
/// <remarks>
/// At the edge of stability θ moves with period 2 (z₁ flips sign every step), so the operator at step t is
/// much closer to the one at t − 2 than at t − 1, and the even steps drift smoothly, so 2·v(t−2) − v(t−4)
/// is closer still. Measured on the paper's network at step 4,800 (bench --run DIR --ntk-study), after the
/// first Rayleigh–Ritz block of the top-2 NTK: from t − 1, residual 2.4e-2 and 1 − |⟨v₁, v₁*⟩| = 5e-3; from
/// t − 2, 1.1e-3 and 2e-5; extrapolated, 1.8e-4 and 3e-7 (eigenvalues within 1e-7). Away from period-2
/// motion θ drifts smoothly and the last probe is the better start. Keeping four probes costs four sets of
/// vectors in the probe state. They are kept rounded to float32, the precision the probe state stores them
/// in, so that a live run starts every solve from exactly the vectors a resumed one reads back: a start only
/// sets the cost (measured on the paper's network: the same matvec counts), never the converged result.
/// </remarks>
public sealed class WarmStarts(int capacity = WarmStarts.Depth) : IDisposable
{
    /// <summary>Probes kept for the period-2 starts (t − 2 and the extrapolation from t − 4).</summary>
    public const int Depth = 4;
    private readonly List<Tensor[]> _history = [];     // newest first

    /// <summary>Probes kept: <see cref="Depth"/>, or 2 for an operator probed on a sparser schedule (Q₁, Q_r: the trend start).</summary>
    public int Capacity => capacity;

    /// <summary>The last probe's vectors (sign alignment and crossings compare against these).</summary>
    public Tensor[] Last => Back(1);

    /// <summary>The vectors of the probe <paramref name="lag"/> probes ago, or none.</summary>
    public Tensor[] Back(int lag) => _history.Count >= lag ? _history[lag - 1] : [];

    /// <summary>
    /// The start for <paramref name="lag"/>, falling back to a shorter lag where this operator has less
    /// history (e.g. it was just switched on); returns the lag actually used. <paramref name="every"/> is the
    /// operator's own schedule (it runs at multiples of it): with 2, under period-2 motion with every step probed,
    /// its history is exactly t − 2, t − 4, so the last entry is the t − 2 start and the last two extrapolate;
    /// on sparser schedules the last entry is the only start that makes sense.
    /// </summary>
    public (Tensor[] Vectors, WarmLag Lag) For(WarmLag lag, int every = 1)
    {
        if (lag == WarmLag.Trend)
            return Back(2).Length == Last.Length && Last.Length > 0 ? (Extrapolate(Last, Back(2)), lag)
                : Last.Length > 0 ? (Last, WarmLag.Last) : ([], WarmLag.Cold);
        if (every == 2 && lag >= WarmLag.TwoBack && Last.Length > 0)
            return lag == WarmLag.Extrapolated && Back(2).Length == Last.Length
                ? (Extrapolate(Last, Back(2)), lag)
                : (Last, WarmLag.TwoBack);
        if (every > 1) return Last.Length > 0 ? (Last, WarmLag.Last) : ([], WarmLag.Cold);
        if (lag == WarmLag.Extrapolated && Back(4).Length == Back(2).Length && Back(4).Length > 0)
            return (Extrapolate(Back(2), Back(4)), lag);
        if (lag >= WarmLag.TwoBack && Back(2).Length > 0) return (Back(2), WarmLag.TwoBack);
        return Last.Length > 0 ? (Last, WarmLag.Last) : ([], WarmLag.Cold);
    }

    /// <summary>
    /// Linear extrapolation of the even-step drift, per unit vector: (2a − b)/‖2a − b‖ with b's sign aligned
    /// to a first (eigenvectors have arbitrary signs). Public so that the benchmark studies score the very
    /// start the probes use.
    /// </summary>
    public static Tensor[] Extrapolate(Tensor[] twoBack, Tensor[] fourBack) =>
        twoBack.Zip(fourBack, (a, b) =>
        {
            var v = a.dot(b).item<double>() < 0 ? 2 * a + b : 2 * a - b;     // ‖v‖ ≥ 1 for unit a, b
            return v.div_(v.norm());
        }).ToArray();

    public void Push(Tensor[] fresh)
    {
        _history.Insert(0, fresh.Select(t => Stored(t).DetachFromDisposeScope()).ToArray());
        if (_history.Count > capacity)
        {
            foreach (var t in _history[^1]) t.Dispose();
            _history.RemoveAt(capacity);
        }
    }

    /// <summary>Replaces the history (newest first; empty sets end it).</summary>
    public void Set(IEnumerable<Tensor[]> history)
    {
        Dispose();
        foreach (var vectors in history.TakeWhile(v => v.Length > 0).Take(capacity))
            _history.Add(vectors.Select(t => Stored(t).DetachFromDisposeScope()).ToArray());
    }

    /// <summary>A float64 copy rounded to float32: the values the probe state stores (<see cref="ProbeState"/>).</summary>
    public static Tensor Stored(Tensor v) => v.to(ScalarType.Float32).to(ScalarType.Float64);

    public IReadOnlyList<Tensor[]> History => _history;

    public void Dispose()
    {
        foreach (var t in _history.SelectMany(v => v)) t.Dispose();
        _history.Clear();
    }
}
