using Probes.Models;
using QuadraticFit.Models;
using static TorchSharp.torch;

namespace QuadraticFit.Simulation;

/// <summary>
/// One step of a model: z̃ = η·(the residual along the top eigenvector for D > 1), η·λ_max, loss, and under an optimizer
/// other than the closed-form GD maps its edge λ₁(P⁻¹H)/threshold (NaN where not computed).
/// </summary>
public sealed record TrajectoryPoint(int Step, double Z, double Sharpness, double Loss, double Edge = double.NaN);

/// <summary>Trajectories of the quadratic models, in the columns the CLI writes and plots.</summary>
public static class Trajectory
{
    /// <summary>The D = 1, P = 2 model from (z̃₀, T(0)₀); loss ½z² = ½(z̃/η)².</summary>
    public static List<TrajectoryPoint> D1P2(D1P2Model model, D1P2State start, int steps) =>
        model.Simulate(start, steps).Select((s, t) => new TrajectoryPoint(t, s.Z, s.T0, 0.5 * Math.Pow(s.Z / model.Eta, 2))).ToList();

    /// <summary>
    /// A random model drawn at the paper's rescaled σ̃_z, σ̃_J (Theorem 4.1's initialisation, Eq. 29's
    /// rescaling) and its GD trajectory: what `quad simulate --model random` and Figure 3 plot.
    /// </summary>
    public static List<TrajectoryPoint> RandomModel(int d, int p, double sigmaZTilde, double sigmaJTilde, long seed, double eta, int steps)
    {
        var (sigmaZ, sigmaJ) = QuadraticModel.Rescaled(sigmaZTilde, sigmaJTilde, d, p);
        using var model = QuadraticModel.Random(d, p, sigmaZ, sigmaJ, seed);
        return Random(model, eta, steps);
    }

    /// <summary>
    /// η·v₁·z and η·λ_max of J Jᵀ/n (dense: D is small), v₁'s sign aligned with <paramref name="previous"/>, which becomes the
    /// new v₁; null when J or z overflowed (no eigenvalues to take: eigh fails on ∞, and the caller reports the divergence).
    /// </summary>
    public static (double Z, double Sharpness)? Top(Tensor j, Tensor z, int n, double eta, ref Tensor? previous)
    {
        using var scope = NewDisposeScope();
        var gram = j.matmul(j.t()) / n;
        if (!gram.isfinite().all().item<bool>() || !z.isfinite().all().item<bool>()) return null;
        var (values, vectors) = linalg.eigh(gram);
        var v1 = vectors[.., -1];
        if (previous is not null && v1.dot(previous).item<double>() < 0) v1 = -v1;
        previous?.Dispose();
        previous = v1.clone().DetachFromDisposeScope();
        return (eta * v1.dot(z).item<double>(), eta * values[-1].item<double>());
    }

    /// <summary>
    /// GD on a quadratic regression model in function space. Z is η·z₁ with z₁ = v₁·z, v₁ the top
    /// eigenvector of J Jᵀ (dense: D is small), its sign aligned step to step; Sharpness is η·λ_max.
    /// </summary>
    public static List<TrajectoryPoint> Random(QuadraticModel model, double eta, int steps)
    {
        using var scope = NewDisposeScope();
        var z = model.Residual(model.Theta);
        var j = model.Jacobian(model.Theta);
        Tensor? previous = null;
        var points = new List<TrajectoryPoint>();
        for (int t = 0; t <= steps; t++)
        {
            using var inner = NewDisposeScope();
            if (Top(j, z, model.SampleCount, eta, ref previous) is not { } top)
            {
                points.Add(new TrajectoryPoint(t, double.NaN, double.PositiveInfinity, double.PositiveInfinity));
                break;
            }
            points.Add(new TrajectoryPoint(t, top.Z, top.Sharpness, SquaredLoss.Of(z, model.SampleCount).item<double>()));
            if (!double.IsFinite(points[^1].Loss) || points[^1].Loss > 1e12 || t == steps) break;
            var (z2, j2) = model.FunctionStep(z, j, eta);
            z = z2.MoveToOuterDisposeScope();
            j = j2.MoveToOuterDisposeScope();
        }
        previous?.Dispose();
        return points;
    }
}
