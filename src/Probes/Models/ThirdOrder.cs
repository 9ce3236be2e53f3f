using TorchSharp;
using static TorchSharp.torch;

namespace Probes.Models;

/// <summary>
/// ∇_θ(uᵀ H(θ) v) with u, v held fixed, H the loss Hessian: the loss's third derivative contracted twice, ∇³L[u, v]. With u
/// the top Hessian eigenvector, ∇³L[u, u] = ∇S is the self-stabilization term of Damian, Nichani &amp; Lee (2023).
/// </summary>
public static class ThirdOrder
{
    /// <summary>
    /// By three reverse passes through <paramref name="loss"/>, a scalar function of the <paramref name="leaves"/> (each with
    /// requires_grad): ∇L, then ∇(∇L·v) = Hv, then ∇(u·Hv). retain_graph is passed explicitly with create_graph (libtorch aborts
    /// the process otherwise). Vectors are flat over the leaves in order; the result is float64.
    /// </summary>
    public static Tensor ByAutograd(Func<Tensor> loss, IList<Tensor> leaves, Tensor u, Tensor v)
    {
        var dtype = leaves[0].dtype;
        var gradient = torch.autograd.grad([loss()], leaves, retain_graph: true, create_graph: true, allow_unused: true);
        var gv = Dot(gradient, v.to(dtype), leaves);
        if (!gv.requires_grad) return zeros(u.numel(), float64, u.device);             // L linear in θ: no curvature
        var hv = torch.autograd.grad([gv], leaves, retain_graph: true, create_graph: true, allow_unused: true);
        var uhv = Dot(hv, u.to(dtype), leaves);
        if (!uhv.requires_grad) return zeros(u.numel(), float64, u.device);            // H constant: no third derivative
        var third = torch.autograd.grad([uhv], leaves, retain_graph: false, create_graph: false, allow_unused: true);
        return cat(third.Select((g, i) => g.IsInvalid ? zeros(leaves[i].numel(), dtype, u.device) : g.flatten()).ToList()).to(float64);
    }

    /// <summary>
    /// Exactly, for outputs quadratic in θ (∇³f = 0: the quadratic regression models and the Taylor model) under the squared
    /// loss, where n·uᵀHv = (Ju)·(Jv) + Σ_α z_α uᵀ∇²f_α v differentiates to Q_{Jv}u + Q_{Ju}v + Jᵀ Q(u, v), all divided by n.
    /// </summary>
    public static Tensor OfQuadraticOutputs(IDifferentiablePoint point, Tensor u, Tensor v)
    {
        using var ju = point.Jacobian(u);
        using var jv = point.Jacobian(v);
        using var quv = point.SecondDirectional(u, v);
        return point.OutputHessian(jv, u).add_(point.OutputHessian(ju, v)).add_(point.JacobianTransposed(quv)).div_(point.SampleCount);
    }

    /// <summary>Σᵢ gradᵢ·w over the leaves (w flat over them); a leaf the output does not reach contributes 0.</summary>
    internal static Tensor Dot(IList<Tensor> grads, Tensor w, IList<Tensor> leaves)
    {
        Tensor? s = null;
        long at = 0;
        for (int i = 0; i < leaves.Count; i++)
        {
            long size = leaves[i].numel();
            if (!grads[i].IsInvalid)
            {
                var term = grads[i].flatten().dot(w.narrow(0, at, size));
                s = s is null ? term : s + term;
            }
            at += size;
        }
        return s ?? zeros(1, w.dtype, w.device).sum();
    }
}
