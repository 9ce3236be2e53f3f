using System.Diagnostics;
using Probes.Eigensolvers;
using Probes.Flows;
using Probes.Models;
using Probes.Operators;
using static TorchSharp.torch;

namespace Probes.Probing;

/// <summary>
/// The probes of Agarwala, Pedregosa &amp; Pennington §5, run on any <see cref="IDifferentiablePoint"/>.
/// With residual z ∈ R^D, Jacobian J = ∂z/∂θ and GD step θ ← θ − (η/n)·Jᵀz:
/// <list type="bullet">
/// <item>NTK Gram K = J Jᵀ / n, eigenpairs (λᵢ, vᵢ); z₁ = v₁·z, z₂ = v₂·z; y = η·λ₁ − 2;</item>
/// <item>loss Hessian H = (JᵀJ + Σ_α z_α ∇²f_α)/n, top-k eigenvalues;</item>
/// <item>Q₁ = Σ_α v₁_α ∇²f_α and Q_r for a fixed random unit r ∈ R^D: both spectrum ends;</item>
/// <item>one-step split Δz₁ ≈ −η·λ₁·z₁ + ½(η/n)²·z₁²·Q₁(Jᵀv₁, Jᵀv₁): z1_lin, z1_nl, their ratio
/// nl_ratio = z1_nl / z1_lin (the paper's Figure 6 plots it without the ½);</item>
/// <item>Δz₁ over the optimizer's own step Δθ (GD's −(η/n)Jᵀz, or any optimizer's, given): dz1_lin = v₁·JΔθ,
/// dz1_nl = ½Q₁(Δθ, Δθ) and the realised dz1_next = v₁·z(θ + Δθ) − z₁;</item>
/// <item>candidates for the paper's "O(1)" ratio: z1_nl_full = ½(η/n)²·Q₁(Jᵀz, Jᵀz) (the full residual, the
/// exact second-order term of Δz₁), nl_ratio_full = z1_nl_full / z1_lin, and both second-order terms against
/// the two-step linear term y·z₁ (nl_ratio_2step, nl_ratio_2step_full).</item>
/// </list>
/// The suite is stateful across steps: v₁'s arbitrary sign is aligned with the previous probe's (so z₁'s
/// period-2 flips are real), eigenvectors are matched to the previous ones by overlap (a swap of λ₁ and λ₂
/// is reported as a crossing), and each Lanczos run is warm-started from earlier probes' vectors: the last
/// probe's, or under period-2 motion those of t − 2 or the extrapolated 2·v(t−2) − v(t−4) (<see cref="WarmLag"/>).
/// Probes only read the point: they never move θ or touch the global RNG, so training is unchanged.
/// </summary>
public sealed partial class ProbeSuite : IDisposable
{
    private readonly ProbeOptions _options;
    private readonly WarmStarts _ntk = new(), _hessian = new(), _effHessian = new(), _effNtk = new(), _q1 = new(capacity: 2), _qr = new(capacity: 2),
        _midpoint = new(capacity: 1);
    private readonly DeflationTracker _ntkDeflation = new(), _hessianDeflation = new(), _effDeflation = new(),
        _effNtkDeflation = new();
    private readonly List<(int Step, double Z1)> _probes = [];      // the last probes' (step, z₁), newest first
    private long _probeCount;                                         // probes run so far: Q's schedule counts them
    private Tensor? _direction;

    public ProbeSuite(ProbeOptions options) => _options = options;

    /// <summary>Whether the NTK is solved: for its own columns, and for v₁, which Q₁ and the one-step split need.</summary>
    private bool NtkRuns => (_options.Kinds & (ProbeKinds.Ntk | ProbeKinds.Q1 | ProbeKinds.Ratio)) != 0;

    /// <summary>The previous probe's NTK eigenvectors (sign-aligned), for checkpoints and tests.</summary>
    public IReadOnlyList<Tensor> NtkVectors => _ntk.Last;

    /// <summary>
    /// The last probe's sharpness on GD's scale (2 at the edge), for the schedule's "above" rule and the progress display:
    /// η·λ₁ of the NTK under GD; 2·edge under any other optimizer (its NTK does not set its edge), or under GD when only the
    /// Hessian is probed (--probes hessian), from the last probe that ran the Hessian.
    /// </summary>
    public double? LastSharpness { get; private set; }

    /// <summary>
    /// Probes the point at <paramref name="step"/>. Transactional: the suite's state (warm starts, deflation
    /// spaces, history) changes only when the whole probe has run, so a probe cancelled part-way (a stop
    /// signal, through <see cref="CancellablePoint"/>) leaves the suite exactly as before it, and a checkpoint
    /// written then resumes as if the probe had never started.
    /// </summary>
    /// <param name="preconditioner">The optimizer's diagonal P at this step in the point's coordinates (null: P = I), for eff_hess_i.</param>
    /// <param name="nextStep">The optimizer's step Δθ from this θ in the point's coordinates, for dz1_lin, dz1_nl and dz1_next under any
    /// optimizer (null: GD's −(η/n)Jᵀz where the run is GD, else those columns stay empty).</param>
    /// <param name="atMidpoint">For --probes midpoint: moves θ to the midpoint θ + ½Δθ of the optimizer's step, calls the action
    /// with the point there (in this point's coordinates), and moves θ back; called once the probes at θ are done.</param>
    public ProbeRecord Run(IDifferentiablePoint point, int step, bool spectra = false, Tensor? preconditioner = null, Tensor? nextStep = null,
        Action<Action<IDifferentiablePoint>>? atMidpoint = null)
    {
        if (nextStep is not null && nextStep.numel() != point.ParameterSize)
            throw new ArgumentException($"a step of {nextStep.numel()} entries for a point of {point.ParameterSize} parameters.");
        if (preconditioner is not null && (preconditioner.numel() != point.ParameterSize || point.DroppedDirections != 0))
            throw new ArgumentException("a preconditioner needs the point's full coordinates: one entry per parameter, none dropped.");
        var clock = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        var probe = new Probe(point, step, spectra, new ProbeRecord { Step = step }, ChooseLag(step))
        {
            Preconditioner = preconditioner, NextStep = nextStep,
        };
        try
        {
            probe.Record.Set(ProbeColumns.Step, step);
            probe.Record.Set(ProbeColumns.ZNorm, point.Residual.norm().item<double>());
            var kinds = _options.Kinds;
            if (NtkRuns) ProbeNtk(probe);
            if (kinds.HasFlag(ProbeKinds.Hessian) && (spectra || step % _options.HessianEvery == 0)) ProbeHessian(probe);
            if (kinds.HasFlag(ProbeKinds.Q1) && probe.V1 is not null && (spectra || _probeCount % _options.QEvery == 0))
            {
                _direction ??= RandomDirection(point);
                int m = spectra ? _options.SpectrumSize : 1;
                ProbeOutputHessian(probe, probe.V1, "q1", _q1, m, 3);
                ProbeOutputHessian(probe, _direction, "qr", _qr, m, 4);
            }
            if (kinds.HasFlag(ProbeKinds.Ratio) && probe.V1 is not null && _options.ResidualLoss) ProbeStepSplit(probe);
            if (kinds.HasFlag(ProbeKinds.SelfStabilization) && probe.HessianVector is not null && _options.GradientDescent)
                ProbeSelfStabilization(probe);
            if (kinds.HasFlag(ProbeKinds.Midpoint) && probe.HessianVector is not null && atMidpoint is not null)
                atMidpoint(midpoint => ProbeMidpoint(probe, midpoint));
        }
        catch
        {
            foreach (var undo in probe.Rollbacks) undo();
            throw;
        }
        foreach (var commit in probe.Commits) commit();
        _probeCount++;
        NativeHeap.Trim();                          // once a probe: see NativeHeap for why not per solve
        _probes.Insert(0, (step, probe.Z1));
        if (_probes.Count > WarmStarts.Depth) _probes.RemoveAt(WarmStarts.Depth);
        probe.Record.Set(ProbeColumns.WarmLag, (int)(probe.UsedLag ?? WarmLag.Cold));
        probe.Record.Set(ProbeColumns.ProbeSeconds, clock.Elapsed.TotalSeconds);
        return probe.Record;
    }

    /// <summary>One probe in progress: its inputs, what it has found so far, and the state changes it will make.</summary>
    private sealed class Probe(IDifferentiablePoint point, int step, bool spectra, ProbeRecord record, WarmLag lag)
    {
        public IDifferentiablePoint Point => point;
        public int Step => step;
        public bool Spectra => spectra;
        public ProbeRecord Record => record;
        public WarmLag? UsedLag { get; private set; }          // the lag the first operator really used (warm_lag)
        public Tensor? V1 { get; set; }                        // unrounded, aligned; in the probe's dispose scope
        public Tensor? Preconditioner { get; init; }           // the optimizer's diagonal P, or null for P = I
        public Tensor? NextStep { get; init; }                 // the optimizer's Δθ from this θ, or null (GD's is derived)
        public Tensor? HessianVector { get; set; }             // u, the top Hessian eigenvector, sign-aligned with the last probe's
        public Tensor? EffectiveVector { get; set; }           // the top eigenvector of P^(-1/2) H P^(-1/2) (u when P = I)
        public double Lambda1 { get; set; } = double.NaN;
        public double Z1 { get; set; } = double.NaN;
        public List<Action> Commits { get; } = [];
        public List<Action> Rollbacks { get; } = [];

        /// <summary>The warm start for this probe's lag, if its vectors have the operator's size.</summary>
        public Tensor[] Start(WarmStarts warm, long size, int every = 1)
        {
            var (vectors, actual) = warm.For(lag, every);
            UsedLag ??= actual;
            return vectors.All(v => v.numel() == size) ? vectors : [];   // a state from other coordinates: cold
        }
    }

    /// <summary>NTK top-k, sign-aligned: ntk_i, eta_ntk_1, y, z1, z2, eta_ntk_2, crossing, v1_overlap.</summary>
    private void ProbeNtk(Probe probe)
    {
        var (point, record) = (probe.Point, probe.Record);
        double eta = _options.LearningRate;
        using var ntk = SolveTop(ModelOperators.Ntk(point), "ntk", _ntkDeflation, probe, probe.Start(_ntk, point.OutputSize), 1,
            _options.Tolerance);
        var vectors = AlignWithPrevious(ntk.Top.Select(p => p.Vector).ToArray(), record);
        for (int i = 0; i < ntk.Top.Count; i++) record.Set(ProbeColumns.Ntk(i + 1), ntk.Top[i].Value);
        probe.Lambda1 = ntk.Top[0].Value;
        record.Set(ProbeColumns.EtaNtk1, eta * probe.Lambda1);
        if (_options.PaperSetting) record.Set(ProbeColumns.Y, eta * probe.Lambda1 - 2);
        // v₁·g flips sign under period-2 motion for any loss (g = z for the squared loss): it drives the warm-start lag.
        probe.Z1 = vectors[0].dot(point.LossGradient).item<double>();
        if (_options.ResidualLoss) record.Set(ProbeColumns.Z1, probe.Z1);
        if (vectors.Length > 1)
        {
            if (_options.ResidualLoss) record.Set(ProbeColumns.Z2, vectors[1].dot(point.Residual).item<double>());
            record.Set(ProbeColumns.EtaNtk2, eta * ntk.Top[1].Value);
        }
        record.Set(ProbeColumns.Residual("ntk"), ntk.MaxResidual);
        if (!ntk.Converged) record.Unconverged.Add("ntk");
        var kept = vectors.Select(v => WarmStarts.Stored(v)).ToArray();      // outlive ntk, disposed with the probe's scope
        probe.V1 = vectors[0].clone();              // unrounded; ntk and its vectors are disposed below
        var effective = probe.Preconditioner is { } p ? ProbeEffectiveNtk(probe, p) : [.. ntk.Top.Select(t => t.Value)];
        for (int i = 0; i < effective.Length; i++) record.Set(ProbeColumns.EffectiveNtk(i + 1), effective[i]);
        probe.Commits.Add(() => _ntk.Push(kept));
        double sharpness = eta * probe.Lambda1;
        if (_options.PaperSetting) probe.Commits.Add(() => LastSharpness = sharpness);
    }

    /// <summary>Loss Hessian top-k: hess_i, eta_hess_1.</summary>
    private void ProbeHessian(Probe probe)
    {
        var (point, record) = (probe.Point, probe.Record);
        using var hessian = SolveTop(ModelOperators.LossHessian(point), "hess", _hessianDeflation, probe,
            probe.Start(_hessian, point.ParameterSize, _options.HessianEvery), 2, _options.HessianTolerance);
        var top = DroppedZeros.Top([.. hessian.Top.Select(p => p.Value)], point.DroppedDirections);
        for (int i = 0; i < top.Length; i++) record.Set(ProbeColumns.Hessian(i + 1), top[i]);
        record.Set(ProbeColumns.EtaHessian1, _options.LearningRate * top[0]);
        record.Set(ProbeColumns.Residual("hess"), hessian.MaxResidual);
        if (!hessian.Converged) record.Unconverged.Add("hessian");
        var kept = hessian.Top.Select(p => WarmStarts.Stored(p.Vector)).ToArray();
        probe.Commits.Add(() => _hessian.Push(kept));
        var effective = probe.Preconditioner is { } p ? ProbeEffectiveHessian(probe, p) : top;
        for (int i = 0; i < effective.Length; i++) record.Set(ProbeColumns.EffectiveHessian(i + 1), effective[i]);
        double threshold = _options.StabilityThreshold, edge = effective[0] / threshold;
        record.Set(ProbeColumns.Threshold, threshold);
        record.Set(ProbeColumns.Edge, edge);
        if (!(_options.PaperSetting && NtkRuns)) probe.Commits.Add(() => LastSharpness = 2 * edge);
        var u = hessian.Top[0].Vector;
        probe.HessianVector = _hessian.Last is [var previous, ..] && previous.numel() == u.numel() && previous.dot(u).item<double>() < 0
            ? u.neg() : u.clone();
        probe.EffectiveVector ??= probe.HessianVector;
    }

    /// <summary>
    /// eff_hess_mid = λ₁(P⁻¹H) at the midpoint θ + ½Δθ of the optimizer's step, and edge_mid. Under period-2 motion θₜ = θ̄ ± x·u
    /// the iterates' sharpness is S(θ̄) ± x·u·∇S + ½x²·uᵀ∇²S u: the first-order parts cancel between even and odd steps, the
    /// second-order part does not, and the midpoint removes it. One Lanczos solve, warm-started from the last probe's midpoint
    /// vector: the centre of the orbit drifts slowly while θₜ swings across it, so that start is nearer than θₜ's own u (the
    /// first midpoint starts from u).
    /// </summary>
    private void ProbeMidpoint(Probe probe, IDifferentiablePoint point)
    {
        var record = probe.Record;
        using var scale = probe.Preconditioner?.to(float64).rsqrt().to(point.Device);
        var op = scale is null ? ModelOperators.LossHessian(point) : ModelOperators.PreconditionedHessian(point, scale);
        var start = _midpoint.Last is [var last] && last.numel() == point.ParameterSize ? last : probe.EffectiveVector!;
        using var result = Solve(op, SpectrumEnd.Largest, 1, [start], 11, _options.HessianTolerance);
        double top = DroppedZeros.Top([result.Top[0].Value], point.DroppedDirections)[0];
        record.Set(ProbeColumns.EffectiveHessianMidpoint, top);
        record.Set(ProbeColumns.EdgeMidpoint, top / _options.StabilityThreshold);
        record.Set(ProbeColumns.Iterations("mid"), result.Iterations);
        record.Set(ProbeColumns.Residual("mid"), result.MaxResidual);
        if (!result.Converged) record.Unconverged.Add("midpoint");
        Tensor[] kept = [WarmStarts.Stored(result.Top[0].Vector)];
        probe.Commits.Add(() => _midpoint.Push(kept));
    }

    /// <summary>Self-stabilization's quantities at θₜ (<see cref="SelfStabilization"/>), u sign-aligned with the last probe's.</summary>
    private void ProbeSelfStabilization(Probe probe)
    {
        var clock = Stopwatch.StartNew();
        var (record, s) = (probe.Record, SelfStabilization.At(probe.Point, probe.HessianVector!, _options.LearningRate));
        record.Set(ProbeColumns.SGradNorm, s.GradSNorm);
        record.Set(ProbeColumns.UGradS, s.UGradS);
        record.Set(ProbeColumns.Alpha, s.Alpha);
        record.Set(ProbeColumns.Beta, s.Beta);
        if (s.Delta2 is { } delta2) record.Set(ProbeColumns.Delta2, delta2);
        record.Set(ProbeColumns.XU, s.XU);
        record.Set(ProbeColumns.SelfStabilizationSeconds, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// λᵢ(P⁻¹H) from the symmetric P^(-1/2) H P^(-1/2), solved as the Hessian is (warm starts, its own deflation space) at
    /// the Hessian's tolerance; one Hessian product per matvec, so it costs what the Hessian probe costs.
    /// </summary>
    private double[] ProbeEffectiveHessian(Probe probe, Tensor preconditioner)
    {
        var (point, record) = (probe.Point, probe.Record);
        using var scale = preconditioner.to(float64).rsqrt().to(point.Device);
        using var result = SolveTop(ModelOperators.PreconditionedHessian(point, scale), "eff_hess", _effDeflation, probe,
            probe.Start(_effHessian, point.ParameterSize, _options.HessianEvery), 9, _options.HessianTolerance);
        record.Set(ProbeColumns.Residual("eff_hess"), result.MaxResidual);
        if (!result.Converged) record.Unconverged.Add("eff_hess");
        var kept = result.Top.Select(p => WarmStarts.Stored(p.Vector)).ToArray();
        probe.Commits.Add(() => _effHessian.Push(kept));
        probe.EffectiveVector = result.Top[0].Vector.clone();
        return [.. result.Top.Select(p => p.Value)];
    }

    /// <summary>
    /// λᵢ(J P⁻¹ Jᵀ / n), the function-space operator of the preconditioned step, solved as the NTK is (warm starts, its own
    /// deflation space, the NTK's tolerance); one NTK-sized matvec each, so it costs what the NTK probe costs.
    /// </summary>
    private double[] ProbeEffectiveNtk(Probe probe, Tensor preconditioner)
    {
        var (point, record) = (probe.Point, probe.Record);
        using var inverse = preconditioner.to(float64).reciprocal().to(point.Device);
        using var result = SolveTop(ModelOperators.PreconditionedNtk(point, inverse), "eff_ntk", _effNtkDeflation, probe,
            probe.Start(_effNtk, point.OutputSize), 10, _options.Tolerance);
        record.Set(ProbeColumns.Residual("eff_ntk"), result.MaxResidual);
        if (!result.Converged) record.Unconverged.Add("eff_ntk");
        var kept = result.Top.Select(p => WarmStarts.Stored(p.Vector)).ToArray();
        probe.Commits.Add(() => _effNtk.Push(kept));
        return [.. result.Top.Select(p => p.Value)];
    }

    /// <summary>
    /// Δz₁ over the optimizer's step Δθ, for any optimizer on the squared loss: dz1_lin = v₁·JΔθ, dz1_nl = ½Q₁(Δθ, Δθ) and the
    /// realised dz1_next = v₁·z(θ + Δθ) − z₁. Under GD (Δθ = −(η/n)Jᵀz) also the paper's split along v₁ alone: z1_lin, z1_nl,
    /// their ratios, and z1_nl_full, which is dz1_nl.
    /// </summary>
    private void ProbeStepSplit(Probe probe)
    {
        var (point, record, v1) = (probe.Point, probe.Record, probe.V1!);
        double eta = _options.LearningRate, z1 = probe.Z1;
        int n = point.SampleCount;
        var step = probe.NextStep ?? (_options.GradientDescent ? point.JacobianTransposed(point.Residual).mul_(-eta / n) : null);
        if (step is null) return;
        double secondFull = 0.5 * point.OutputHessianForm(v1, step);
        record.Set(ProbeColumns.StepLinear, v1.dot(point.Jacobian(step)).item<double>());
        record.Set(ProbeColumns.StepSecond, secondFull);
        record.Set(ProbeColumns.Z1Realised, v1.dot(point.ResidualAt(step)).item<double>() - z1);
        if (!_options.PaperSetting) return;
        var g = point.JacobianTransposed(v1);
        double q1gg = point.OutputHessianForm(v1, g);
        double linear = -eta * probe.Lambda1 * z1;
        double second = 0.5 * Math.Pow(eta / n, 2) * z1 * z1 * q1gg;
        record.Set(ProbeColumns.Z1Linear, linear);
        record.Set(ProbeColumns.Z1Second, second);
        record.Set(ProbeColumns.NonlinearityRatio, second / linear);
        // The exact second-order term of the GD step, with the full residual.
        record.Set(ProbeColumns.Z1SecondFull, secondFull);
        record.Set(ProbeColumns.NonlinearityRatioFull, secondFull / linear);
        // Over two steps the linear parts nearly cancel to 2·y·z₁ while the second-order parts add.
        double twoStep = (eta * probe.Lambda1 - 2) * z1;
        record.Set(ProbeColumns.NonlinearityRatioTwoStep, second / twoStep);
        record.Set(ProbeColumns.NonlinearityRatioTwoStepFull, secondFull / twoStep);
    }

    /// <summary>Both ends of Q_u = Σ_α u_α ∇²f_α: {name}_max, {name}_min, and on spectrum steps the spectra and densities.</summary>
    private void ProbeOutputHessian(Probe probe, Tensor u, string name, WarmStarts warm, int m, int seedOffset)
    {
        var (point, record) = (probe.Point, probe.Record);
        var start = probe.Start(warm, point.ParameterSize, _options.QEvery);
        // One start vector, the sum of the last top and bottom vectors: a single Krylov sequence converges both ends at once at
        // one matvec a step, where the block of the two takes two. Paper scale, every 50 steps (bench --probe-stride 50 on a
        // --probe-q-every 1 run): Q₁ 28–36 → 16–20 and Q_r 44–46 → 27–29 matvecs.
        if (start.Length == 2 && m == 1) start = [start[0] + start[1]];
        using var result = Solve(ModelOperators.OutputHessian(point, u), SpectrumEnd.Both, m, start, seedOffset, _options.QTolerance);
        var top = DroppedZeros.Top([.. result.Top.Select(p => p.Value)], point.DroppedDirections);
        var bottom = DroppedZeros.Bottom([.. result.Bottom.Select(p => p.Value)], point.DroppedDirections);
        record.Set(ProbeColumns.Largest(name), top[0]);
        record.Set(ProbeColumns.Smallest(name), bottom[0]);
        record.Set(ProbeColumns.Iterations(name), result.Iterations);
        record.Set(ProbeColumns.Residual(name), result.MaxResidual);
        if (!result.Converged) record.Unconverged.Add(name);
        if (probe.Spectra && _options.DensityVectors > 0)
            record.Densities.Add((name, Spectrum.Density(ModelOperators.OutputHessian(point, u), _options.DensityVectors,
                _options.DensitySteps, SeedFor(seedOffset))));
        if (probe.Spectra)
        {
            for (int i = 0; i < top.Length; i++) record.Spectra.Add(new(record.Step, name, "top", i + 1, top[i]));
            for (int i = 0; i < bottom.Length; i++) record.Spectra.Add(new(record.Step, name, "bottom", i + 1, bottom[i]));
        }
        Tensor[] kept = [WarmStarts.Stored(result.Top[0].Vector), WarmStarts.Stored(result.Bottom[0].Vector)];
        probe.Commits.Add(() => warm.Push(kept));
    }

    /// <summary>
    /// The top-k eigenpairs of the NTK or the Hessian: by deflated Davidson from a warm start when the
    /// operator's schedule allows, by Lanczos otherwise. The space pays step by step and on sparse schedules
    /// alike: on the paper's network, probes every 50 steps of progressive sharpening took 20–28 Lanczos matvecs
    /// per operator and take 6–10 by Davidson once the space has been refreshed (bench --probe-stride 50).
    /// {name}_iters counts every matvec, {name}_deflation_iters the part spent estimating the space.
    /// </summary>
    private LanczosResult SolveTop(ILinearOperator op, string name, DeflationTracker deflation, Probe probe, Tensor[] start,
        int seedOffset, double tolerance)
    {
        int size = (int)Math.Min(_options.Deflation, op.Size - _options.K - 1);
        bool warm = _probes.Count > 0 && start.Length == _options.K;
        LanczosResult Lanczos() => Solve(op, SpectrumEnd.Largest, _options.K, start, seedOffset, tolerance);
        if (!(size >= 1 && warm))
        {
            var lanczos = Lanczos();
            probe.Record.Set(ProbeColumns.DeflationIterations(name), 0);
            probe.Record.Set(ProbeColumns.Iterations(name), lanczos.Iterations);
            return lanczos;
        }
        var solved = deflation.Solve(op, start, size, _options with { Tolerance = tolerance }, SeedFor(6 + seedOffset), Lanczos);
        probe.Commits.Add(solved.Commit);
        probe.Rollbacks.Add(solved.Rollback);
        probe.Record.Set(ProbeColumns.DeflationIterations(name), solved.EstimateMatvecs);
        probe.Record.Set(ProbeColumns.Iterations(name), solved.EstimateMatvecs + solved.Result.Iterations);
        return solved.Result;
    }

    private LanczosResult Solve(ILinearOperator op, SpectrumEnd end, int count, Tensor[] warm, int seedOffset, double tolerance) =>
        LanczosSolver.Solve(op, new LanczosOptions
        {
            Count = count,
            End = end,
            Tolerance = tolerance,
            MaxIterations = _options.MaxIterations,
            // Room to restart with every wanted pair and a block beside it: k ≤ 16 fits the default basis, larger k need more.
            MaxBasis = Math.Max(LanczosOptions.DefaultMaxBasis,
                2 * (end == SpectrumEnd.Both ? 2 * count : count) + 2 * Math.Max(count, warm.Length)),
            Seed = SeedFor(seedOffset),
            BlockSize = end == SpectrumEnd.Both ? 1 : count,      // k clustered top eigenvalues at a cold start
            WarmStart = warm.Length > 0 ? warm : null,
        });

    /// <summary>
    /// Matches each new eigenvector to the previous one it overlaps most, flips its sign to a positive dot
    /// product with it, and reports a crossing when v₁ matches the previous v₂ (or lower) best.
    /// </summary>
    private Tensor[] AlignWithPrevious(Tensor[] vectors, ProbeRecord record)
    {
        var previous = _ntk.Last;
        if (previous.Length == 0) return vectors;
        var aligned = new Tensor[vectors.Length];
        for (int i = 0; i < vectors.Length; i++)
        {
            var overlaps = previous.Select(p => p.dot(vectors[i]).item<double>()).ToArray();
            int best = Enumerable.Range(0, overlaps.Length).MaxBy(j => Math.Abs(overlaps[j]));
            aligned[i] = overlaps[best] < 0 ? vectors[i].neg() : vectors[i];
            if (i == 0)
            {
                record.Set(ProbeColumns.V1Overlap, Math.Abs(overlaps[0]));
                record.Crossing = best != 0;
                record.Set(ProbeColumns.Crossing, best != 0 ? 1 : 0);
            }
        }
        return aligned;
    }

    /// <summary>
    /// Period-2 motion (the last probes at t − 1, t − 2, … with z₁ flipping between each pair): start from
    /// the extrapolated 2·v(t−2) − v(t−4) when four such probes exist, from t − 2 when two do. Probes s &gt; 1
    /// steps apart (a sparse schedule, whose Hessian ran at each): the trend 2·v(t−s) − v(t−2s). Otherwise the
    /// last probe.
    /// </summary>
    private WarmLag ChooseLag(int step)
    {
        bool Flipping(int count) => _probes.Count >= count
            && Enumerable.Range(0, count).All(i => _probes[i].Step == step - 1 - i)
            && Enumerable.Range(0, count - 1).All(i => _probes[i].Z1 * _probes[i + 1].Z1 < 0);
        if (Flipping(4)) return WarmLag.Extrapolated;
        if (Flipping(2)) return WarmLag.TwoBack;
        if (_probes.Count >= 2 && _probes[0].Step - _probes[1].Step is var stride && stride > 1 && step - _probes[0].Step == stride
            && stride % _options.HessianEvery == 0 && step % _options.HessianEvery == 0)
            return WarmLag.Trend;
        return WarmLag.Last;          // WarmStarts falls back to a cold start where there is nothing yet
    }

    /// <summary>
    /// The seed of each random draw, derived once from the run's seed: 1–4 the NTK, Hessian, Q₁ and Q_r
    /// Lanczos starts (and SLQ vectors), 5 the direction r, 7–8 the NTK's and the Hessian's deflation estimates, 9 the
    /// preconditioned Hessian's start, 15 its deflation estimate, 10 and 16 the preconditioned NTK's, 11 the midpoint's.
    /// </summary>
    private long SeedFor(int offset) => _options.Seed * 31 + offset;

    private Tensor RandomDirection(IDifferentiablePoint point)
    {
        var r = randn([point.OutputSize], float64, generator: new Generator((ulong)SeedFor(5))).to(point.Device);
        return r.div_(r.norm()).DetachFromDisposeScope();
    }

    private IEnumerable<(string Name, DeflationTracker Tracker)> Deflations =>
        [("ntk", _ntkDeflation), ("hessian", _hessianDeflation), ("eff-hessian", _effDeflation), ("eff-ntk", _effNtkDeflation)];

    private IEnumerable<(string Name, WarmStarts Warm)> Operators =>
        [("ntk", _ntk), ("hessian", _hessian), ("q1", _q1), ("qr", _qr), ("eff-hessian", _effHessian), ("eff-ntk", _effNtk),
            ("midpoint", _midpoint)];

    /// <summary>Sets the previous NTK eigenvectors (tests: sign alignment and crossings).</summary>
    public void Restore(IReadOnlyList<Tensor> ntkVectors, double? lastSharpness)
    {
        _ntk.Set([ntkVectors.ToArray()]);
        LastSharpness = lastSharpness;
    }

    public void Dispose()
    {
        foreach (var (_, warm) in Operators) warm.Dispose();
        foreach (var (_, tracker) in Deflations) tracker.Dispose();
        _direction?.Dispose();
    }
}
