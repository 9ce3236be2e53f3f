using static TorchSharp.torch;

namespace Probes.Models;

/// <summary>
/// A point whose every product first checks a cancellation token, so that a stop signal ends a probe within
/// one matvec instead of after the whole probe (seconds at the paper's scale). The probe suite is
/// transactional, so the <see cref="OperationCanceledException"/> this throws leaves it as before the probe. Every member
/// of the interface is forwarded, defaults included: a default here would silently replace the inner point's own (its loss).
/// </summary>
public sealed class CancellablePoint(IDifferentiablePoint inner, CancellationToken token) : IDifferentiablePoint
{
    public long OutputSize => inner.OutputSize;
    public long ParameterSize => inner.ParameterSize;
    public long DroppedDirections => inner.DroppedDirections;
    public int SampleCount => inner.SampleCount;
    public Device Device => inner.Device;
    public Tensor Residual => inner.Residual;

    public Tensor JacobianTransposed(Tensor u) => Checked(() => inner.JacobianTransposed(u));
    public Tensor Jacobian(Tensor w) => Checked(() => inner.Jacobian(w));
    public Tensor OutputHessian(Tensor u, Tensor w) => Checked(() => inner.OutputHessian(u, w));
    public Tensor ResidualAt(Tensor delta) => Checked(() => inner.ResidualAt(delta));
    public Tensor SecondDirectional(Tensor a, Tensor b) => Checked(() => inner.SecondDirectional(a, b));
    public double OutputHessianForm(Tensor u, Tensor w)
    {
        token.ThrowIfCancellationRequested();
        return inner.OutputHessianForm(u, w);
    }

    public Tensor Ntk(Tensor u) => Checked(() => inner.Ntk(u));
    public Tensor LossHessian(Tensor w) => Checked(() => inner.LossHessian(w));
    public Tensor LossGradient => inner.LossGradient;
    public Tensor LossCurvature(Tensor v) => Checked(() => inner.LossCurvature(v));
    public Tensor LossThirdOrder(Tensor u, Tensor v) => Checked(() => inner.LossThirdOrder(u, v));

    private Tensor Checked(Func<Tensor> product)
    {
        token.ThrowIfCancellationRequested();
        return product();
    }

    /// <summary>The inner point belongs to the caller.</summary>
    public void Dispose() { }
}
