using Probes.Models;
using static TorchSharp.torch;

namespace Probes.Flows;

/// <summary>
/// Self-stabilization at θ (Damian, Nichani &amp; Lee 2023), with S = λ₁(H) and u its unit eigenvector: ∇S = ∇³L[u, u] (u held
/// fixed), its part ∇S⊥ = ∇S − u(u·∇S) off u, α = −∇L·∇S⊥ (how fast GD sharpens), β = ‖∇S⊥‖² (how hard the instability pushes
/// back), the predicted oscillation δ² = 2α/β (null unless α &gt; 0), and the one GD makes, x_u = ½η·u·∇L (θₜ = θ̄ ± x·u under
/// period-2 motion; its sign follows u's, x_u² does not). One third-order product and one gradient.
/// </summary>
public sealed record SelfStabilization(double GradSNorm, double UGradS, double Alpha, double Beta, double? Delta2, double XU)
{
    public static SelfStabilization At(IDifferentiablePoint point, Tensor u, double eta)
    {
        using var scope = NewDisposeScope();
        var gradS = point.LossThirdOrder(u, u);
        var gradL = point.JacobianTransposed(point.LossGradient).div_(point.SampleCount);
        double along = u.dot(gradS).item<double>();
        var perpendicular = gradS - u * along;
        double alpha = -gradL.dot(perpendicular).item<double>(), beta = perpendicular.dot(perpendicular).item<double>();
        return new SelfStabilization(gradS.norm().item<double>(), along, alpha, beta, alpha > 0 ? 2 * alpha / beta : null,
            0.5 * eta * u.dot(gradL).item<double>());
    }
}
