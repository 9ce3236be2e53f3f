using static TorchSharp.torch;

namespace Probes.Models;

/// <summary>
/// A model's residual z(θ) = f(X; θ) − Y ∈ R^D, D = outputs × n flattened example-major, at one fixed θ,
/// with exactly the derivatives the probes need. The network, the quadratic regression models and the
/// network's Taylor model all implement it, so every probe runs unchanged on each of them.
/// </summary>
/// <remarks>
/// Vectors go in and come out in float64 on <see cref="Device"/>, whatever the model computes in: the
/// probes accumulate in float64 and the model casts at its boundary. A point may cache its forward pass,
/// so it is valid only while θ is unchanged; dispose it before the parameters move.
/// </remarks>
public interface IDifferentiablePoint : IDisposable
{
    /// <summary>D, the length of z.</summary>
    long OutputSize { get; }

    /// <summary>P, the number of parameters.</summary>
    long ParameterSize { get; }

    /// <summary>n, the number of examples: the NTK Gram is K = J Jᵀ / n and the loss is (1/n) Σ ℓᵢ (½‖zᵢ‖² by default).</summary>
    int SampleCount { get; }

    /// <summary>
    /// Parameter directions left out of the P coordinates because z does not depend on them to any order
    /// (e.g. first-layer weights orthogonal to every input when n &lt; d): the operators on θ have the
    /// eigenvalue 0 there, which the probes add back to the spectrum ends. 0 for most points.
    /// </summary>
    long DroppedDirections => 0;

    /// <summary>Where the vectors live.</summary>
    Device Device { get; }

    /// <summary>z = f(X; θ) − Y, length D.</summary>
    Tensor Residual { get; }

    /// <summary>Jᵀu for u ∈ R^D, length P.</summary>
    Tensor JacobianTransposed(Tensor u);

    /// <summary>J w for w ∈ R^P, length D.</summary>
    Tensor Jacobian(Tensor w);

    /// <summary>(Σ_α u_α ∇²f_α) w: the Hessian of s(θ) = u·f(X; θ), u held fixed, applied to w. Length P.</summary>
    Tensor OutputHessian(Tensor u, Tensor w);

    /// <summary>z(θ + δ), the residual at a displaced point (one forward pass), e.g. after a GD step.</summary>
    Tensor ResidualAt(Tensor delta);

    /// <summary>
    /// Q(a, b) ∈ R^D with components aᵀ∇²f_α b: the second directional derivative of the outputs, what a
    /// second-order Taylor model of this point needs. Points that cannot give it say so.
    /// </summary>
    Tensor SecondDirectional(Tensor a, Tensor b) =>
        throw new NotSupportedException($"{GetType().Name} does not provide second directional derivatives Q(a, b).");

    /// <summary>
    /// The scalar wᵀ(Σ_α u_α ∇²f_α)w = u·Q(w, w), what the one-step split needs. By default one output-Hessian
    /// product; a point with <see cref="SecondDirectional"/> along a single direction does it in one tangent pass.
    /// </summary>
    double OutputHessianForm(Tensor u, Tensor w)
    {
        using var product = OutputHessian(u, w);
        return w.dot(product).item<double>();
    }

    /// <summary>
    /// ∇_θ(uᵀ H(θ) v) for u, v ∈ R^P held fixed: the loss's third derivative ∇³L[u, v] (<see cref="ThirdOrder"/>). Points
    /// that cannot give it say so.
    /// </summary>
    Tensor LossThirdOrder(Tensor u, Tensor v) =>
        throw new NotSupportedException($"{GetType().Name} does not provide third-order products ∇³L[u, v].");

    /// <summary>The NTK Gram K u = J Jᵀ u / n. Override when a fused pass is cheaper.</summary>
    Tensor Ntk(Tensor u) => Jacobian(JacobianTransposed(u)).div_(SampleCount);

    /// <summary>
    /// g = ∂ℓ/∂f, length D, of the point's loss (<see cref="ILoss"/>): ∇L = (1/n)·Jᵀg. The residual z for the squared loss,
    /// the default.
    /// </summary>
    Tensor LossGradient => Residual;

    /// <summary>Λ v for v ∈ R^D, the loss's output-space Hessian (a block per example): v itself for the squared loss.</summary>
    Tensor LossCurvature(Tensor v) => v.alias();

    /// <summary>
    /// The loss Hessian H w = (JᵀΛJ w + Σ_α g_α ∇²f_α w) / n (JᵀJ and z for the squared loss). Override when a fused pass is
    /// cheaper.
    /// </summary>
    Tensor LossHessian(Tensor w) =>
        JacobianTransposed(LossCurvature(Jacobian(w))).add_(OutputHessian(LossGradient, w)).div_(SampleCount);
}
