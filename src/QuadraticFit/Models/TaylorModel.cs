using Probes.Models;
using static TorchSharp.torch;

namespace QuadraticFit.Models;

/// <summary>
/// The exact second-order Taylor model of any point θ₀ (the network at a training step, say):
/// z_q(θ₀ + δ) = z₀ + J₀δ + ½Q₀(δ, δ), never materialising Q₀. Its Jacobian at δ is J₀ + Q₀(δ, ·), so
/// J_qᵀu = J₀ᵀu + Q_u δ and J_q w = J₀w + Q₀(δ, w); its output Hessians are Q₀'s, constant in δ. Every product
/// is one or two products of the base point, which must provide <see cref="IDifferentiablePoint.SecondDirectional"/>.
/// </summary>
/// <remarks>
/// GD on it from δ = 0 with the network's η, probed like the network, shows how far a quadratic model of the
/// network predicts its own EOS dynamics. Trade-off: each step costs about two network steps (the base
/// point's second-order products) but needs no new forward pass of the network.
/// </remarks>
public sealed class TaylorModel(IDifferentiablePoint basePoint) : IDisposable
{
    public IDifferentiablePoint Base => basePoint;
    public Tensor Delta { get; private set; } = zeros(basePoint.ParameterSize, float64, basePoint.Device).DetachFromDisposeScope();

    /// <summary>z_q(θ₀ + δ).</summary>
    public Tensor Residual(Tensor delta) =>
        basePoint.Residual + basePoint.Jacobian(delta) + 0.5 * basePoint.SecondDirectional(delta, delta);

    /// <summary>GD on (1/n)·½‖z_q‖²: δ ← δ − (η/n) J_q(δ)ᵀ z_q(δ).</summary>
    public void Step(double eta)
    {
        using var scope = NewDisposeScope();
        using var point = At();
        var next = Delta - point.JacobianTransposed(point.Residual) * (eta / basePoint.SampleCount);
        Delta.Dispose();
        Delta = next.DetachFromDisposeScope();
    }

    public IDifferentiablePoint At() => new TaylorPoint(this, Delta);

    public void Dispose() => Delta.Dispose();

    private sealed class TaylorPoint : IDifferentiablePoint
    {
        private readonly TaylorModel _m;
        private readonly Tensor _delta;

        public TaylorPoint(TaylorModel model, Tensor delta)
        {
            _m = model;
            _delta = delta.clone().DetachFromDisposeScope();
            Residual = model.Residual(delta).DetachFromDisposeScope();
        }

        private IDifferentiablePoint B => _m.Base;
        public long OutputSize => B.OutputSize;
        public long ParameterSize => B.ParameterSize;
        public int SampleCount => B.SampleCount;
        public Device Device => B.Device;
        public Tensor Residual { get; }
        public Tensor JacobianTransposed(Tensor u) => B.JacobianTransposed(u) + B.OutputHessian(u, _delta);
        public Tensor Jacobian(Tensor w) => B.Jacobian(w) + B.SecondDirectional(_delta, w);
        public Tensor OutputHessian(Tensor u, Tensor w) => B.OutputHessian(u, w);
        public Tensor ResidualAt(Tensor delta) => _m.Residual(_delta + delta);
        public Tensor SecondDirectional(Tensor a, Tensor b) => B.SecondDirectional(a, b);
        public Tensor LossThirdOrder(Tensor u, Tensor v) => ThirdOrder.OfQuadraticOutputs(this, u, v);

        public void Dispose()
        {
            _delta.Dispose();
            Residual.Dispose();
        }
    }
}
