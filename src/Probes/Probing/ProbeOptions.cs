namespace Probes.Probing;

/// <summary>Settings of a <see cref="ProbeSuite"/>.</summary>
public sealed record ProbeOptions
{
    /// <summary>The GD step size η the probes refer to (y = η·λ₁ − 2).</summary>
    public required double LearningRate { get; init; }
    /// <summary>
    /// The optimizer's stability threshold for λ₁(P⁻¹H), the denominator of the edge column; null: GD's 2/η. The
    /// optimizer derives it (docs/optimizers.md); the probes only divide by it.
    /// </summary>
    public double? Threshold { get; init; }
    /// <summary>The threshold the edge column divides by.</summary>
    public double StabilityThreshold => Threshold ?? 2 / LearningRate;
    /// <summary>
    /// Whether the run's steps are plain GD, θ ← θ − η∇L: with the squared loss (<see cref="ResidualLoss"/>) y and the one-step
    /// split (z1_lin … nl_ratio_2step_full) are derived from that step, and on any loss self-stabilization's α, β, δ² and x_u;
    /// all are left empty under any other optimizer, whose step they do not describe (dz1_lin, dz1_nl and dz1_next take the
    /// optimizer's own step when the caller gives it).
    /// </summary>
    public bool GradientDescent { get; init; } = true;

    /// <summary>GD on the squared loss: the paper's setting, where η·λ₁ of the NTK is the edge and y, the split apply.</summary>
    public bool PaperSetting => GradientDescent && ResidualLoss;
    /// <summary>
    /// Whether the loss's output gradient is the residual z = f − Y (the squared loss): z₁ = v₁·z and z₂ are then the
    /// gradient's components on the NTK's eigenvectors, the paper's variables. Left empty for any other loss (cross-entropy),
    /// where z is not what the step follows.
    /// </summary>
    public bool ResidualLoss { get; init; } = true;
    public ProbeKinds Kinds { get; init; } = ProbeKinds.Ntk | ProbeKinds.Hessian | ProbeKinds.Q1 | ProbeKinds.Ratio;
    /// <summary>Eigenpairs of the NTK and the Hessian.</summary>
    public int K { get; init; } = DefaultK;
    /// <summary>Relative residual of the NTK solves: their eigenvalues, v₁ and so z₁, z₂ and the ratio columns.</summary>
    public double Tolerance { get; init; } = Eigensolvers.LanczosOptions.DefaultTolerance;
    /// <summary>
    /// Relative residual of the loss-Hessian solves. Only their eigenvalues are traced (hess_1, hess_2,
    /// eta_hess_1), and those are accurate to about the square of the residual, so the Hessian needs no
    /// eigenvector to 1e-6: measured at n = 500 on EOS steps, 1e-5 already puts them within 4e-10 of a 1e-8
    /// reference, and on the paper's network it saves a quarter of the Hessian matvecs of an EOS step.
    /// </summary>
    public double HessianTolerance { get; init; } = DefaultHessianTolerance;
    /// <summary>
    /// Relative residual of the Q₁ and Q_r both-ends solves. Their spectra are broad and dense at both ends, so
    /// each decade of tolerance costs many matvecs, while only the extreme eigenvalues are traced, and those
    /// are accurate to about the square of the residual: measured at n = 500 on EOS steps (bench
    /// --tolerance-study), 1e-5 puts q1/qr within 1e-6 of a 1e-8 reference for 30/16 matvecs instead of 38/26
    /// at 1e-6; 1e-4 costs 20/8 but leaves 3e-5.
    /// </summary>
    public double QTolerance { get; init; } = DefaultQTolerance;
    public int MaxIterations { get; init; } = Eigensolvers.LanczosOptions.DefaultMaxIterations;
    /// <summary>
    /// Eigenpairs just below the top k of the NTK and of the Hessian kept as deflation spaces when probing step
    /// by step (0: plain Lanczos always). Their top-k solves are then Davidson runs preconditioned by them
    /// (see <see cref="Eigensolvers.DeflatedDavidson"/>): on the paper's network 6–8 NTK and 8–9 Hessian matvecs
    /// per EOS step instead of 16–20 and 18–24. The Hessian's space costs m·P floats (63 MB there).
    /// </summary>
    public int Deflation { get; init; } = DefaultDeflation;
    /// <summary>A deflated solve costlier than this many matvecs has the space estimated again at the next probe.</summary>
    public int DeflationRefreshAbove { get; init; } = DefaultDeflationRefreshAbove;
    /// <summary>
    /// Q₁ and Q_r extremes run at every this-many-th probe, counted from the run's first (and at spectrum steps); 1: every
    /// probe. Counted in probes, not steps, so a sparse schedule (every 50 steps) does not run Q at every probe because 50
    /// is a multiple of 10. Both-ends solves of these indefinite operators cost 30–80 matvecs, three to five times an NTK
    /// or Hessian solve, while the paper shows Q₁ changing little over an EOS window: every 10th probe keeps
    /// Figure 6 (left) and makes the average EOS probe several times cheaper.
    /// </summary>
    public int QEvery { get; init; } = DefaultQEvery;
    /// <summary>
    /// The Hessian runs at probed steps that are multiples of this (and at spectrum steps); 1: every probe. At the
    /// edge of stability θ moves with period 2, so with 2 the Hessian sees every other step, the even ones, which
    /// drift smoothly (Figure 5, middle, plots exactly these), and it is warm-started from its own t − 2 and t − 4
    /// vectors; the NTK, z₁ and the ratio columns stay on every probe. On the paper's network an EOS probe takes a
    /// median 0.82 s without the Hessian and 1.63 s with it (paper-eos run), so 2 saves about a quarter of the probe time.
    /// </summary>
    public int HessianEvery { get; init; } = DefaultHessianEvery;

    public const double DefaultQTolerance = 1e-5, DefaultHessianTolerance = 1e-5;
    public const int DefaultDeflationRefreshAbove = 16;

    public const int DefaultK = 2, DefaultDeflation = 12, DefaultQEvery = 10, DefaultHessianEvery = 1;
    public const int DefaultSpectrumSize = 10, DefaultDensitySteps = 40;

    /// <summary>Ritz values kept at each end of Q₁ and Q_r on spectrum steps.</summary>
    public int SpectrumSize { get; init; } = DefaultSpectrumSize;
    /// <summary>Random vectors of the stochastic-Lanczos-quadrature density of Q₁ and Q_r on spectrum steps (0: none).</summary>
    public int DensityVectors { get; init; } = 0;
    /// <summary>Lanczos steps per SLQ vector.</summary>
    public int DensitySteps { get; init; } = DefaultDensitySteps;
    /// <summary>Seeds the random output direction r and the Lanczos start vectors.</summary>
    public long Seed { get; init; } = 0;

    /// <summary>The probe kinds by the names that --probes and config files use, in order.</summary>
    public static readonly IReadOnlyDictionary<string, ProbeKinds> KindNames = new Dictionary<string, ProbeKinds>
    {
        ["ntk"] = ProbeKinds.Ntk, ["hessian"] = ProbeKinds.Hessian, ["q1"] = ProbeKinds.Q1, ["ratio"] = ProbeKinds.Ratio,
        ["selfstab"] = ProbeKinds.SelfStabilization, ["midpoint"] = ProbeKinds.Midpoint,
    };

    public static ProbeKinds ParseKinds(IEnumerable<string> names) => names.Aggregate(ProbeKinds.None, (k, name) =>
        k | (KindNames.TryGetValue(name, out var kind) ? kind : throw new ArgumentException($"unknown probe '{name}'.")));
}
