using Probes.Models;
using QuadraticFit.Models;
using QuadraticFit.Simulation;
using Training.Optimizers;
using static TorchSharp.torch;

namespace Training.Studies;

/// <summary>
/// <c>probes quad simulate --optimizer X</c>: a quadratic model trained in parameter space by one of the network's
/// optimizers (the very <see cref="Optimizer"/> code, on θ as its one parameter), with the optimizer's edge computed
/// exactly at every step: edge = λ₁(P⁻¹H)/threshold from the dense H = (JᵀJ + Σ_α z_α Q_α)/n (P × P, small here) and
/// the P the step from θₜ divides by. The D = 1, P = 2 model is started from a θ with the asked (z̃, T(0), Ẽ).
/// </summary>
internal static class OptimizerTrajectory
{
    public static List<TrajectoryPoint> Run(QuadraticModel model, Optimizer optimizer, double eta, int steps)
    {
        using var scope = NewDisposeScope();
        var theta = model.Theta.clone().requires_grad_(true);
        Tensor[] parameters = [theta];
        Tensor? previous = null;
        var points = new List<TrajectoryPoint>();
        int n = model.SampleCount;
        for (int t = 0; t <= steps; t++)
        {
            using var inner = NewDisposeScope();
            theta.grad?.zero_();
            var z = model.Residual(theta);
            var loss = SquaredLoss.Of(z, n);
            loss.backward();
            using var _ = no_grad();
            z = z.detach();
            var j = model.Jacobian(theta.detach());
            if (Trajectory.Top(j, z, n, eta, ref previous) is not { } top)
            {
                points.Add(new TrajectoryPoint(t, double.NaN, double.PositiveInfinity, double.PositiveInfinity, double.PositiveInfinity));
                break;
            }
            points.Add(new TrajectoryPoint(t, top.Z, top.Sharpness, loss.item<double>(), Edge(model, j, z, optimizer, parameters)));
            if (!double.IsFinite(points[^1].Loss) || points[^1].Loss > 1e12 || t == steps) break;
            optimizer.Step(parameters);
        }
        previous?.Dispose();
        return points;
    }

    /// <summary>λ₁(P⁻¹H)/threshold, on the symmetric P^(-1/2) H P^(-1/2); P = I where the optimizer has none.</summary>
    private static double Edge(QuadraticModel model, Tensor j, Tensor z, Optimizer optimizer, Tensor[] parameters)
    {
        var hessian = (j.t().matmul(j) + einsum("d,dpq->pq", z, model.Q)) / model.SampleCount;
        if (optimizer.Preconditioner(parameters) is { } p)
        {
            var scale = p.rsqrt();
            hessian = scale.unsqueeze(1) * hessian * scale.unsqueeze(0);
        }
        return linalg.eigvalsh(hessian)[-1].item<double>() / optimizer.Threshold;
    }

    /// <summary>
    /// The D = 1, P = 2 model as a quadratic model in θ ∈ R²: z(θ) = ½θᵀQθ − E with Q = diag(1, −ε) and 2ηE = Ẽ, at a θ
    /// where z̃ = η·z and T(0) = η·θᵀQ²θ take the asked values (θᵀQθ = (Ẽ + 2z̃)/η; both components from Q's two eigenvalues).
    /// </summary>
    public static QuadraticModel D1P2(D1P2Model m, D1P2State start, double eta)
    {
        double a = (m.Conserved + 2 * start.Z) / eta, b = start.T0 / eta, lambda = m.Lambda;
        double second = (b - a) / (lambda * lambda - lambda), first = a - lambda * second;
        if (!(second >= 0 && first >= 0))
            throw new ProbesError($"no θ of the D = 1, P = 2 model has z̃ = {start.Z}, T(0) = {start.T0} and Ẽ = {m.Conserved}: "
                + "T(0) must be at least Ẽ + 2z̃ and large enough for both components of θ to be real.");
        var q = zeros([1, 2, 2], float64);
        q[0, 0, 0] = 1.0;
        q[0, 1, 1] = lambda;
        var model = new QuadraticModel(tensor(new[] { -m.Conserved / (2 * eta) }, float64), zeros([1, 2], float64), q);
        model.SetParameters(tensor(new[] { Math.Sqrt(first), Math.Sqrt(second) }, float64));
        return model;
    }
}
