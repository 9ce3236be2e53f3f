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
    /// Substeps between the central flow's eigen-solves (at most --substeps; a GD step's first substep always solves). Between
    /// solves its eigenpairs are the Rayleigh–Ritz pairs of the last solve's span at the new θ (k Hessian products, where a
    /// warm-started solve takes several times k), as the reference code re-solves once a step and reads uᵢᵀHuᵢ in between.
    /// 1: a solve at every substep.
    /// </summary>
    public int SolveEvery { get; init; } = 4;

    /// <summary>
    /// The largest relative residual ‖Hv − θv‖/|θ| a Rayleigh–Ritz pair between solves may have; above it the substep solves
    /// instead. Its eigenvalue is then off by about the residual squared relative to the gap (~1e-6 here), below what the Euler
    /// substep itself moves η·λ; a network whose Hessian turns faster (a tiny one at a large step) simply solves more often.
    /// </summary>
    public const double SpanTolerance = 1e-3;

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
