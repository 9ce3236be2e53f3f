using static TorchSharp.torch;

namespace Probes.Models;

/// <summary>
/// The loss of the paper: L = (1/n) Σᵢ ½‖f(xᵢ) − yᵢ‖² of a residual z = f(X) − Y over n examples (z of any shape). Its
/// output gradient is the residual itself and its output Hessian the identity, so ∇L = (1/n)·Jᵀz and the Gauss–Newton
/// part of H is the NTK's JᵀJ/n: the stability threshold η·λ₁ = 2 is read on K = J Jᵀ / n.
/// </summary>
public sealed class SquaredLoss : ILoss
{
    public static readonly SquaredLoss Instance = new();

    private SquaredLoss() { }

    public string Name => "mse";

    /// <summary>
    /// L as a scalar tensor (differentiable when z is). square(), not pow(2): the same kernel, without a managed Scalar that
    /// the GC may free while libtorch still reads it (a CI run once failed "Unknown scalar type" inside pow).
    /// </summary>
    public static Tensor Of(Tensor residual, long n) => residual.square().sum().mul(0.5 / n);

    /// <summary>L at a point.</summary>
    public static double At(IDifferentiablePoint point)
    {
        using var l = Of(point.Residual, point.SampleCount);
        return l.item<double>();
    }

    public Tensor Mean(Tensor outputs, Tensor targets) => Of(outputs - targets, outputs.shape[0]);

    public Tensor OutputGradient(Tensor outputs, Tensor targets) => outputs - targets;

    public Tensor OutputCurvature(Tensor outputs, Tensor v) => v.alias();
}
