using static TorchSharp.torch;

namespace Probes.Models;

/// <summary>
/// The mean softmax cross-entropy, PyTorch's <c>cross_entropy(f, y)</c> with mean reduction, for one-hot (or probability)
/// targets y, each row summing to 1: ℓ(f, y) = −Σ_c y_c log p_c with p = softmax(f). Its output gradient is g = p − y and
/// its output Hessian the per-example block Λ = diag(p) − p pᵀ, positive semi-definite with the all-ones vector in its
/// null space (softmax ignores a shift of f): Λ v = p ⊙ v − p (p·v).
/// </summary>
public sealed class CrossEntropyLoss : ILoss
{
    public static readonly CrossEntropyLoss Instance = new();

    private CrossEntropyLoss() { }

    public string Name => "ce";

    public Tensor Mean(Tensor outputs, Tensor targets) =>
        outputs.log_softmax(1).mul(targets).sum().div(-outputs.shape[0]);

    public Tensor OutputGradient(Tensor outputs, Tensor targets) =>
        outputs.softmax(1) - targets;

    public Tensor OutputCurvature(Tensor outputs, Tensor v)
    {
        var p = outputs.softmax(1);
        return p * v - p * (p * v).sum(1, keepdim: true);
    }
}
