using static TorchSharp.torch;

namespace Probes.Models;

/// <summary>
/// The loss of the paper and of every run, declared once: L = (1/n) Σᵢ ½‖f(xᵢ) − yᵢ‖² of a residual
/// z = f(X) − Y over n examples (z of any shape). Its gradient is (1/n)·Jᵀz, so the NTK Gram that sets the
/// stability threshold η·λ₁ = 2 is K = J Jᵀ / n.
/// </summary>
public static class SquaredLoss
{
    /// <summary>L as a scalar tensor (differentiable when z is).</summary>
    public static Tensor Of(Tensor residual, long n) => residual.pow(2).sum().mul(0.5 / n);

    /// <summary>L at a point.</summary>
    public static double At(IDifferentiablePoint point)
    {
        using var l = Of(point.Residual, point.SampleCount);
        return l.item<double>();
    }
}
