using Probes.Probing;

namespace Training.Flows;

/// <summary>
/// The schema of central-flow.csv, declared once: one row per GD step t, each process at its own θ at time t (GD-step units) before
/// it advances: the run's GD (replayed bit for bit), the central flow (CF) and the stable flow (GF, gradient flow
/// dθ/dt = −η∇L). The README's table is tested against it.
/// </summary>
internal static class FlowColumns
{
    public const string Step = "step", GdLoss = "gd_loss", CfLoss = "cf_loss", GfLoss = "gf_loss", CfPredictedLoss = "cf_predicted_loss";
    public const string GdGradNorm = "gd_grad_norm", CfPredictedGradNorm = "cf_predicted_grad_norm", GfGradNorm = "gf_grad_norm";
    public const string GdDelta2 = "gd_delta2", GdXu2 = "gd_x_u2";
    public const string CfCritical = "cf_critical", CfSolverResidual = "cf_solver_resid", DistanceCf = "dist_cf", DistanceGf = "dist_gf";
    public static string GdSharpness(int i) => $"gd_eta_hess_{i}";
    public static string CfSharpness(int i) => $"cf_eta_hess_{i}";
    public static string GfSharpness(int i) => $"gf_eta_hess_{i}";
    public static string XEigenvalue(int i) => $"x_{i}";

    /// <summary>Every column for k tracked eigenvalues, in file order.</summary>
    public static IReadOnlyList<TraceColumn> Schema(int k) =>
    [
        new(Step, "GD step t; the flows at time t, in GD steps"),
        new(GdLoss, "L(θ_GD), GD's loss (train.csv's loss at t)"),
        new(CfLoss, "L(θ_CF), the loss at the central flow's point"),
        new(CfPredictedLoss, "L(θ_CF) + tr(X)/η: the central flow's prediction of GD's time-averaged loss"),
        new(GfLoss, "L(θ_GF), the stable flow's loss"),
        new(GdGradNorm, "‖∇L(θ_GD)‖"),
        new(CfPredictedGradNorm, "‖θ̇_CF‖/η = ‖∇L + ½Σᵢⱼ Xᵢⱼ∇(uᵢᵀHuⱼ)‖: the predicted time-averaged gradient's norm"),
        new(GfGradNorm, "‖∇L(θ_GF)‖"),
        .. Enumerable.Range(1, k).Select(i => new TraceColumn(GdSharpness(i), $"η·λ{i}(H) at θ_GD")),
        .. Enumerable.Range(1, k).Select(i => new TraceColumn(CfSharpness(i), $"η·λ{i}(H) at θ_CF (≤ 2 up to the solver's tolerance; on "
            + "a step inside a held span, its carried eigenvalues and the others empty)")),
        .. Enumerable.Range(1, k).Select(i => new TraceColumn(GfSharpness(i), $"η·λ{i}(H) at θ_GF")),
        new(GdDelta2, "δ² = 2α/β at θ_GD, self-stabilization's predicted oscillation along u₁ (as probes.csv's delta2; empty where α ≤ 0 "
            + "and off the --eigs-every steps)"),
        new(GdXu2, "x_u² = (½η·u₁·∇L)² at θ_GD: the oscillation GD makes along u₁ (probes.csv's x_u squared), against gd_delta2 and x_1"),
        new(CfCritical, "c, the eigenvalues in the central flow's constraint (η·λ above --critical)"),
        .. Enumerable.Range(1, k).Select(i => new TraceColumn(XEigenvalue(i),
            $"the {i}-th largest eigenvalue of X (c × c, the predicted covariance of GD's oscillation in the critical eigenvectors' span; "
            + "empty beyond c)")),
        new(CfSolverResidual, "‖X − Π(X − A − B[X])‖_F of the complementarity solve (0 at an exact solution)"),
        new(DistanceCf, "‖θ_GD − θ_CF‖"),
        new(DistanceGf, "‖θ_GD − θ_GF‖"),
    ];

    /// <summary>The header of central-flow.csv for k tracked eigenvalues.</summary>
    public static IReadOnlyList<string> Names(int k) => [.. Schema(k).Select(c => c.Name)];
}
