using Probes.Flows;
using Probes.Probing;

namespace Training.Flows;

/// <summary>The settings of <c>probes flow</c>, each default declared once here (the help reads them).</summary>
internal sealed record FlowOptions
{
    /// <summary>Hessian eigenvalues tracked per process: the central flow's constraint takes those above --critical among them.</summary>
    public int K { get; init; } = 3;

    /// <summary>Euler substeps per GD step for both flows: dt = 1/substeps (the "at most ¼ step").</summary>
    public int Substeps { get; init; } = 4;

    /// <summary>
    /// Substeps between the central flow's refreshes of its critical span (a divisor or a multiple of --substeps: 8 = every other
    /// step at 4 substeps): its eigenpairs (a solve, or the Rayleigh–Ritz pairs of the last solve's span) and the third-order
    /// products ∇³L[uᵢ, uⱼ] on them. In between, the Hessian on the span is carried to first order by those products
    /// (<see cref="CentralFlow.Span"/>), which costs nothing; 1: both at every substep, as the reference code recomputes ∇³L.
    /// Measured at the paper's scale with two eigenvalues at the edge: 2.6 s a flow step at 8, 3.3 s at 4, the same table to 6e-6.
    /// </summary>
    public int RefreshEvery { get; init; } = 8;

    /// <summary>
    /// Substeps between the central flow's eigen-solves: a multiple of --refresh-every, and at most --substeps or a multiple of it
    /// (16 = every 4 steps at 4 substeps). The refreshes between solves take the Rayleigh–Ritz pairs of the last solve's span at the
    /// new θ (k Hessian products, where a warm-started solve takes several times k), as the reference code re-solves every few
    /// substeps and reads uᵢᵀHuᵢ in between; a span gone stale is solved anyway (<see cref="SpanTolerance"/>).
    /// </summary>
    public int SolveEvery { get; init; } = 16;

    /// <summary>Whether the central flow solves at substep <paramref name="s"/> of step <paramref name="t"/> (on the step grid
    /// when solves are steps apart, so that a resumed flow solves where the uninterrupted one did).</summary>
    public bool Solves(int t, int s) => Every(SolveEvery, t, s);

    /// <summary>Whether the central flow refreshes its span at substep <paramref name="s"/> of step <paramref name="t"/>.</summary>
    public bool Refreshes(int t, int s) => Every(RefreshEvery, t, s);

    private bool Every(int substeps, int t, int s) => substeps <= Substeps ? s % substeps == 0 : s == 0 && t % (substeps / Substeps) == 0;

    /// <summary>
    /// The largest relative residual ‖Hv − θv‖/|θ| a Rayleigh–Ritz pair between solves may have; above it the substep solves
    /// instead. Its eigenvalue is then off by about the residual squared relative to the gap (~1e-6 here), below what the Euler
    /// substep itself moves η·λ; a network whose Hessian turns faster (a tiny one at a large step) simply solves more often.
    /// </summary>
    public const double SpanTolerance = 1e-3;

    /// <summary>
    /// The largest relative difference between the eigenvalues a held span carried to the end of its interval and those refreshed
    /// there for the next interval to be held too; above it the next interval refreshes at every substep. A carried error ε in λ
    /// moves X by about 2ε/(dt·η·‖∇³L[u, u]‖²) at the refresh, where the flow snaps back, so X, small at the edge, is sensitive to
    /// it: on a quadratic model whose Hessian moves by O(1) a step, 1e-6 holds half the steps and keeps the flow within 1.1e-3 of
    /// the every-substep flow (1e-4: 1.1e-2); on the networks, whose Hessian moves by ~1e-3 a step, nearly every step is held.
    /// </summary>
    public double HoldTolerance { get; init; } = 1e-6;

    /// <summary>η·λ above which an eigenvalue enters the central flow's constraint.</summary>
    public double Critical { get; init; } = CentralFlow.DefaultCritical;

    /// <summary>
    /// Relative residual of the Hessian eigen-solves, the probes' (their eigenvalues are accurate to about its square). The flow
    /// needs no more: the Rayleigh–Ritz pairs between solves are held to <see cref="SpanTolerance"/>, and the eigenvectors enter
    /// only through ∇³L[uᵢ, uⱼ] on the tracked span, whose mixing within itself X absorbs.
    /// </summary>
    public double Tolerance { get; init; } = ProbeOptions.DefaultHessianTolerance;

    /// <summary>Cap on the matvecs of one eigen-solve.</summary>
    public int MaxIterations { get; init; } = 300;

    /// <summary>GD's and the stable flow's eigenvalues every this many steps (they are for the figures; the central flow solves its
    /// own at every substep whatever this is): 10 cuts a flow step's cost by about a third at the paper's scale.</summary>
    public int EigsEvery { get; init; } = 1;

    /// <summary>Flow steps between checkpoints (and one at the end or on Ctrl-C).</summary>
    public int CheckpointEvery { get; init; } = 25;
}
