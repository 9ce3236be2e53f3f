using QuadraticFit.Models;
using QuadraticFit.Simulation;
using QuadraticFit.TwoStep;
using Training.Reports;
using Training.Runs;

namespace Training.Studies;

/// <summary>
/// <c>probes quad simulate</c>: GD on one quadratic model (the D = 1, P = 2 model of §3 or a random model of
/// §4), written to trajectory.csv with its figures, a divergence check and the two-step fit.
/// </summary>
internal static class TrajectoryStudy
{
    /// <summary>The trajectory and how to read it: its D = 1, P = 2 model (null for a random one) and a title for the figures.</summary>
    /// <remarks>
    /// With <paramref name="GradientDescent"/> false (another optimizer), the two-step fit, GD's law, is not made, and the
    /// figures' y is 2·edge − 2, on the same scale as GD's η·λ_max − 2.
    /// </remarks>
    public sealed record Spec(List<TrajectoryPoint> Path, D1P2Model? D1P2, string Title, bool GradientDescent = true);

    /// <summary>The outcome: the step where it diverged (null if it did not), the two-step fit and the figures.</summary>
    public sealed record Outcome(TrajectoryPoint? Divergence, LineFit? TwoStep, string[] Figures);

    public static readonly Table<TrajectoryPoint> Table = new("trajectory.csv",
    [
        new("step", "GD step t", x => x.Step),
        new("z_tilde", "z̃ = η·z (D = 1), or η·z₁ = η·v₁·z with v₁ the top eigenvector of JJᵀ, sign aligned step to step", x => x.Z),
        new("eta_lambda_max", "η·λ_max of JJᵀ (T(0) for D = 1, P = 2)", x => x.Sharpness),
        new("loss", "½‖z‖²", x => x.Loss),
        new("edge", "λ₁(P⁻¹H)/threshold of --optimizer, H the exact loss Hessian (empty for the closed-form GD maps without --optimizer)",
            x => x.Edge),
    ]);

    /// <summary>A loss this many times the initial one counts as divergence (GD at the edge of stability stays within a few times).</summary>
    public const double DivergedLossFactor = 1e6;

    public static Outcome Run(Spec s, RunDirectory run)
    {
        var path = s.Path;
        Table.Write(run, path);
        // The paper's y for the D = 1, P = 2 model is the distance from the z̃ nullcline, y = T(0) − f_z̃(z̃) (its Eq. 18);
        // a random model has no such curve, and y = η·λ_max − 2 stands in.
        Func<TrajectoryPoint, double> y = !s.GradientDescent ? pt => 2 * pt.Edge - 2
            : s.D1P2 is { } m ? pt => m.Y(new D1P2State(pt.Z, pt.Sharpness)) : pt => pt.Sharpness - 2;
        var figures = QuadFigures.Trajectory(path, run.Path, s.Title, y, s.D1P2);
        // A trajectory whose loss left every finite or sane scale is reported as diverged, not as a "final" value.
        var blowUp = path.FirstOrDefault(x => !double.IsFinite(x.Loss) || !double.IsFinite(x.Sharpness)
            || x.Loss > DivergedLossFactor * Math.Max(path[0].Loss, 1e-300));
        if (blowUp is not null || !s.GradientDescent) return new Outcome(blowUp, null, figures);
        var fit = TwoStepFit.Z1(path.Select(x => (double)x.Step).ToArray(), path.Select(x => x.Z).ToArray(), path.Select(y).ToArray());
        return new Outcome(null, fit, figures);
    }
}
