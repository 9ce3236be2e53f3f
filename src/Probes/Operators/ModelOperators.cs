using Probes.Models;
using static TorchSharp.torch;

namespace Probes.Operators;

/// <summary>
/// The matrix-free operators of the probes, built on a model point. Each application runs inside its own
/// dispose scope (TorchSharp otherwise keeps every intermediate alive, ~37 MiB per matvec at paper scale),
/// and only the result escapes.
/// </summary>
public static class ModelOperators
{
    /// <summary>The NTK Gram K = J Jᵀ / n, D × D, positive semi-definite.</summary>
    public static FunctionOperator Ntk(IDifferentiablePoint point) =>
        Scoped(point.OutputSize, point.Device, point.Ntk);

    /// <summary>The loss Hessian H = (JᵀJ + Σ_α z_α ∇²f_α) / n, P × P.</summary>
    public static FunctionOperator LossHessian(IDifferentiablePoint point) =>
        Scoped(point.ParameterSize, point.Device, point.LossHessian);

    /// <summary>
    /// P^(-1/2) H P^(-1/2) for a diagonal P given as <paramref name="scale"/> = P^(-1/2), P × P: similar to P⁻¹H, so it has
    /// its eigenvalues, and symmetric, so Lanczos applies. One Hessian product per matvec.
    /// </summary>
    public static FunctionOperator PreconditionedHessian(IDifferentiablePoint point, Tensor scale) =>
        Scoped(point.ParameterSize, point.Device, w => point.LossHessian(w.mul(scale)).mul_(scale));

    /// <summary>
    /// The preconditioned NTK J P⁻¹ Jᵀ / n for a diagonal P given as <paramref name="inverse"/> = P⁻¹, D × D, positive
    /// semi-definite: the function-space operator of a step θ ← θ − ηP⁻¹∇L (RMSProp, Adam), as K is GD's. One Jᵀ and one J
    /// product per matvec, like K.
    /// </summary>
    public static FunctionOperator PreconditionedNtk(IDifferentiablePoint point, Tensor inverse) =>
        Scoped(point.OutputSize, point.Device, u => point.Jacobian(point.JacobianTransposed(u).mul_(inverse)).div_(point.SampleCount));

    /// <summary>Q_u = Σ_α u_α ∇²f_α, P × P, indefinite in general (u = v₁ gives the paper's Q₁).</summary>
    public static FunctionOperator OutputHessian(IDifferentiablePoint point, Tensor u) =>
        Scoped(point.ParameterSize, point.Device, w => point.OutputHessian(u, w));

    private static FunctionOperator Scoped(long size, Device device, Func<Tensor, Tensor> apply) =>
        new(size, device, v =>
        {
            using var scope = NewDisposeScope();
            return apply(v).MoveToOuterDisposeScope();
        });
}
