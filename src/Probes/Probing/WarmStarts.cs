using static TorchSharp.torch;

namespace Probes.Probing;

/// <summary>
/// One operator's eigenvectors from the last two probes, and the choice of which to warm-start from.
/// </summary>
/// <remarks>
/// At the edge of stability θ moves with period 2 (z₁ flips sign every step), so the operator at step t is
/// much closer to the one at t − 2 than at t − 1. Measured on the paper's network at step 4,800: starting
/// the top-2 NTK from t − 1 leaves 1 − |⟨v₁, v₁*⟩| = 5e-3 after one Rayleigh–Ritz block, from t − 2 it
/// leaves 2e-5, and eigenvalue errors drop from 1e-3 to 4e-6 (bench --run DIR --ntk-study). Away from
/// period-2 motion θ drifts smoothly and the last probe is the better start.
/// </remarks>
internal sealed class WarmStarts : IDisposable
{
    private Tensor[] _last = [], _before = [];

    /// <summary>The last probe's vectors (sign alignment and crossings compare against these).</summary>
    public Tensor[] Last => _last;

    /// <summary>The vectors to start from: the probe before the last one when <paramref name="periodTwo"/>.</summary>
    public Tensor[] For(bool periodTwo) => periodTwo && _before.Length > 0 ? _before : _last;

    public void Push(Tensor[] fresh)
    {
        foreach (var t in _before) t.Dispose();
        _before = _last;
        _last = fresh.Select(t => t.clone().DetachFromDisposeScope()).ToArray();
    }

    public void Set(Tensor[] last, Tensor[] before)
    {
        Dispose();
        _last = last.Select(t => t.clone().DetachFromDisposeScope()).ToArray();
        _before = before.Select(t => t.clone().DetachFromDisposeScope()).ToArray();
    }

    public Tensor[] Before => _before;

    public void Dispose()
    {
        foreach (var t in _last.Concat(_before)) t.Dispose();
        _last = [];
        _before = [];
    }
}
