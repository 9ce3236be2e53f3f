namespace Probes.Probing;

/// <summary>
/// The schema of probes.csv, declared once: the suite writes these names, readers, figures and fits look
/// them up here, and a test checks the README's column table against <see cref="Schema"/>. Values are at
/// θ_t, before step t's update; a probe that did not run leaves its cells empty.
/// </summary>
public static class ProbeColumns
{
    public const string Step = "step";
    public static string Ntk(int i) => $"ntk_{i}";
    public const string EtaNtk1 = "eta_ntk_1", Y = "y", Z1 = "z1", Z2 = "z2", ZNorm = "z_norm";
    public static string Hessian(int i) => $"hess_{i}";
    public const string Q1Max = "q1_max", Q1Min = "q1_min", QrMax = "qr_max", QrMin = "qr_min";
    public static string Largest(string op) => $"{op}_max";
    public static string Smallest(string op) => $"{op}_min";
    public const string Z1Linear = "z1_lin", Z1Second = "z1_nl", NonlinearityRatio = "nl_ratio", Z1Realised = "dz1_next";
    public const string StepLinear = "dz1_lin", StepSecond = "dz1_nl";
    public const string Z1SecondFull = "z1_nl_full", NonlinearityRatioFull = "nl_ratio_full";
    public const string NonlinearityRatioTwoStep = "nl_ratio_2step", NonlinearityRatioTwoStepFull = "nl_ratio_2step_full";
    public const string EtaNtk2 = "eta_ntk_2", EtaHessian1 = "eta_hess_1", V1Overlap = "v1_overlap", Crossing = "crossing";
    public static string Iterations(string op) => $"{op}_iters";
    public static string Residual(string op) => $"{op}_resid";
    public static string DeflationIterations(string op) => $"{op}_deflation_iters";
    public const string WarmLag = "warm_lag", ProbeSeconds = "probe_seconds";
    public static string EffectiveHessian(int i) => $"eff_hess_{i}";
    public static string EffectiveNtk(int i) => $"eff_ntk_{i}";
    public const string Threshold = "threshold", Edge = "edge", EffectiveHessianMidpoint = "eff_hess_mid", EdgeMidpoint = "edge_mid";
    public const string SGradNorm = "s_grad_norm", UGradS = "u_grad_s", Alpha = "alpha", Beta = "beta", Delta2 = "delta2", XU = "x_u";
    public const string SelfStabilizationSeconds = "selfstab_seconds";

    /// <summary>The operators whose solver costs are traced, as they prefix their columns.</summary>
    public static readonly string[] Operators = ["ntk", "hess", "q1", "qr", "eff_hess", "eff_ntk", "mid"];

    /// <summary>Every column for k eigenpairs, in file order.</summary>
    public static IReadOnlyList<TraceColumn> Schema(int k) =>
    [
        new(Step, "GD step t"),
        .. Enumerable.Range(1, k).Select(i => new TraceColumn(Ntk(i), $"λ{i} of the NTK Gram K = J Jᵀ / n")),
        new(EtaNtk1, "η·λ₁ (2 is GD's stability threshold)"),
        new(Y, "y = η·λ₁ − 2 (GD only)"),
        new(Z1, "z₁ = v₁·z, v₁'s sign aligned with the previous probe's (mse only)"),
        new(Z2, "z₂ = v₂·z (mse only)"),
        new(ZNorm, "‖z‖, z = f(X) − Y flattened"),
        .. Enumerable.Range(1, k).Select(i =>
            new TraceColumn(Hessian(i),
                $"λ{i} of the loss Hessian H = (JᵀΛJ + Σ_α g_α ∇²f_α)/n, g = ∂ℓ/∂f and Λ = ∂²ℓ/∂f² (z and I for mse; every "
                + "--probe-hess-every probed steps)")),
        new(Q1Max, "largest eigenvalue of Q₁ = Σ_α v₁_α ∇²f_α (every --probe-q-every-th probe)"),
        new(Q1Min, "smallest eigenvalue of Q₁"),
        new(QrMax, "largest eigenvalue of Q_r, r a fixed random unit vector in R^D"),
        new(QrMin, "smallest eigenvalue of Q_r"),
        new(Z1Linear, "linear part of Δz₁: −η·λ₁·z₁ (this and the next six: GD on mse only)"),
        new(Z1Second, "second-order part of Δz₁ along v₁: ½(η/n)²·z₁²·Q₁(Jᵀv₁, Jᵀv₁)"),
        new(NonlinearityRatio, "z1_nl / z1_lin (the paper's Figure 6 plots it without the ½)"),
        new(Z1SecondFull, "second-order part of Δz₁ with the full residual: ½(η/n)²·Q₁(Jᵀz, Jᵀz)"),
        new(NonlinearityRatioFull, "z1_nl_full / z1_lin"),
        new(NonlinearityRatioTwoStep, "z1_nl / (y·z₁): against the two-step linear term"),
        new(NonlinearityRatioTwoStepFull, "z1_nl_full / (y·z₁)"),
        new(StepLinear, "first-order part of Δz₁ over the optimizer's step Δθ: v₁·JΔθ (this and the next two: mse, any optimizer; "
            + "−η·λ₁·z₁ under GD)"),
        new(StepSecond, "second-order part of Δz₁ over Δθ: ½Q₁(Δθ, Δθ) (z1_nl_full under GD)"),
        new(Z1Realised, "realised Δz₁ = v₁·z(θ + Δθ) − z₁ over the optimizer's actual step Δθ (GD: −(η/n)Jᵀz)"),
        new(EtaNtk2, "η·λ₂ of the NTK"),
        new(EtaHessian1, "η·λ₁ of the loss Hessian"),
        .. Enumerable.Range(1, k).Select(i => new TraceColumn(EffectiveHessian(i),
            $"λ{i}(P⁻¹H), on P^(-1/2) H P^(-1/2): the optimizer's preconditioned sharpness (P = I, so hess_{i}, for GD and momentum)")),
        .. Enumerable.Range(1, k).Select(i => new TraceColumn(EffectiveNtk(i),
            $"λ{i} of the preconditioned NTK J P⁻¹ Jᵀ / n, the function-space operator of the step −ηP⁻¹∇L (= ntk_{i} for GD and momentum)")),
        new(Threshold, "the optimizer's stability threshold for eff_hess_1: 2/η, (2 + 2β)/η, … (docs/optimizers.md)"),
        new(Edge, "eff_hess_1 / threshold: 1 at the optimizer's edge of stability"),
        new(EffectiveHessianMidpoint, "λ₁(P⁻¹H) at θₜ + ½Δθ, the midpoint of the optimizer's step Δθ (P as for eff_hess_1): the "
            + "sharpness at the centre of a period-2 orbit θ̄ ± x·u, which the central flow holds at the threshold (--probes midpoint)"),
        new(EdgeMidpoint, "eff_hess_mid / threshold"),
        new(SGradNorm, "‖∇S‖, ∇S = ∇³L[u, u] the gradient of uᵀH(θ)u with u, H's top unit eigenvector, held fixed (--probes selfstab; GD)"),
        new(UGradS, "u·∇S, u's sign aligned with the previous probe's"),
        new(Alpha, "α = −∇L·∇S⊥, ∇S⊥ = ∇S − u(u·∇S): how fast GD sharpens (Damian et al. 2023)"),
        new(Beta, "β = ‖∇S⊥‖²: how hard the instability pushes back"),
        new(Delta2, "δ² = 2α/β, the predicted squared oscillation along u (empty when α ≤ 0)"),
        new(XU, "x_u = ½η·u·∇L: the oscillation GD makes along u (θₜ = θ̄ ± x_u·u under period-2 motion); set x_u² against δ²"),
        new(SelfStabilizationSeconds, "wall time of the self-stabilization columns, within probe_seconds", "s"),
        new(V1Overlap, "|⟨v₁, previous v₁⟩|"),
        new(Crossing, "1 when v₁ matches the previous probe's v₂ (or lower) best: a λ₁/λ₂ swap"),
        .. Operators.SelectMany(op => (IEnumerable<TraceColumn>)
        [
            new(Iterations(op), $"matvecs of the {op} solve, deflation estimate included", "matvecs"),
            new(Residual(op), $"largest relative residual ‖A v − λ v‖/|λ| of the {op} pairs"),
            .. op is "ntk" or "hess" or "eff_hess" or "eff_ntk" ? [new TraceColumn(DeflationIterations(op),
                $"part of {op}_iters spent estimating the deflation space",
                "matvecs")] : Array.Empty<TraceColumn>(),
        ]),
        new(WarmLag, "the warm start used: 0 cold, 1 last probe, 2 from t − 2, 3 the trend 2·v(t−s) − v(t−2s) of probes s > 1 steps apart, "
            + "4 extrapolated 2·v(t−2) − v(t−4)"),
        new(ProbeSeconds, "wall time of the probe", "s"),
    ];

    /// <summary>The header of probes.csv for k eigenpairs.</summary>
    public static IReadOnlyList<string> Names(int k) => [.. Schema(k).Select(c => c.Name)];
}
