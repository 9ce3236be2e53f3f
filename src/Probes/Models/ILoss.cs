using static TorchSharp.torch;

namespace Probes.Models;

/// <summary>
/// A loss on a network's outputs, L(θ) = (1/n) Σᵢ ℓ(f(xᵢ; θ), yᵢ), declared by what the probes need of it: its value, the
/// output-space gradient gᵢ = ∂ℓ/∂fᵢ and the output-space Hessian Λᵢ = ∂²ℓ/∂fᵢ² (a block per example). With J = ∂f/∂θ the
/// gradient is ∇L = (1/n) Jᵀ g and the Hessian H = (1/n)(Jᵀ Λ J + Σ_α g_α ∇²f_α), so every operator on θ is written once
/// for every loss (<see cref="IDifferentiablePoint.LossHessian"/>). Outputs and targets are [n, outputs]. Every method must
/// stay differentiable in the outputs (no in-place operation on a tensor autograd keeps: libtorch aborts the process), since
/// third-order products differentiate g and Λv once more.
/// </summary>
public interface ILoss
{
    /// <summary>The name --loss takes.</summary>
    string Name { get; }

    /// <summary>L, a scalar tensor, differentiable when <paramref name="outputs"/> is.</summary>
    Tensor Mean(Tensor outputs, Tensor targets);

    /// <summary>g: ∂ℓᵢ/∂fᵢ for each example (no 1/n), [n, outputs].</summary>
    Tensor OutputGradient(Tensor outputs, Tensor targets);

    /// <summary>Λ v: each example's block ∂²ℓᵢ/∂fᵢ² applied to its row of <paramref name="v"/>, [n, outputs].</summary>
    Tensor OutputCurvature(Tensor outputs, Tensor v);

    /// <summary>The losses by name: mse (the paper's) and ce.</summary>
    static readonly IReadOnlyDictionary<string, ILoss> Named = new Dictionary<string, ILoss>
    {
        ["mse"] = SquaredLoss.Instance, ["ce"] = CrossEntropyLoss.Instance,
    };
}
