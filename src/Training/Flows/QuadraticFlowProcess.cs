using Probes.Models;
using QuadraticFit.Models;
using static TorchSharp.torch;

namespace Training.Flows;

/// <summary>
/// A process of the central-flow comparison on a quadratic regression model (<c>probes quad simulate --central-flow</c>): its own
/// θ on the shared model, the squared loss, and exact eigenpairs from the dense P × P Hessian H = (JᵀJ + Σ_α z_α Q_α)/n (P is
/// small there), so nothing but the flow's own discretisation stands between it and the theory.
/// </summary>
internal sealed class QuadraticFlowProcess(QuadraticModel model, Tensor theta, int k) : IFlowProcess
{
    private Tensor _theta = theta.to(float64).clone().DetachFromDisposeScope();
    private Tensor[] _solved = [];

    public IReadOnlyList<Tensor> Solved => _solved;

    public HeldSpan Held { get; } = new();

    public IDifferentiablePoint Point()
    {
        model.SetParameters(_theta);
        return model.At();
    }

    public double Loss(IDifferentiablePoint point) => SquaredLoss.At(point);

    public (double Value, Tensor Vector)[] Top(IDifferentiablePoint point)
    {
        var j = model.Jacobian(_theta);
        var z = model.Residual(_theta);
        var hessian = (j.t().matmul(j) + einsum("d,dpq->pq", z, model.Q)) / model.SampleCount;
        var (values, vectors) = linalg.eigh((hessian + hessian.t()) / 2);      // ascending
        long p = values.numel();
        var top = Enumerable.Range(0, (int)Math.Min(k, p))
            .Select(i => (values[p - 1 - i].item<double>(), vectors[.., p - 1 - i].contiguous())).ToArray();
        foreach (var v in _solved) v.Dispose();
        _solved = [.. top.Select(e => e.Item2.clone().DetachFromDisposeScope())];
        return top;
    }

    public void Displace(IDifferentiablePoint point, Tensor delta)
    {
        var moved = (_theta + delta.to(float64)).DetachFromDisposeScope();
        _theta.Dispose();
        _theta = moved;
    }

    public Tensor Theta() => _theta.clone();

    public void Dispose()
    {
        Held.Dispose();
        _theta.Dispose();
        foreach (var v in _solved) v.Dispose();
    }
}
