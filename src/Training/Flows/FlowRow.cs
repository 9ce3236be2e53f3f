using MathNet.Numerics.LinearAlgebra;
using Probes.Flows;
using Probes.Models;
using static TorchSharp.torch;

namespace Training.Flows;

/// <summary>One row of central-flow.csv and the two flows' advance by one GD step, for any model (<see cref="IFlowProcess"/>).</summary>
internal static class FlowRow
{
    /// <summary>
    /// Each process measured at its θ at time t (GD's and the stable flow's eigenvalues where <paramref name="eigenvalues"/>); then
    /// the central flow and the stable flow advance by one step of Euler substeps. GD's own step is the caller's.
    /// </summary>
    public static Dictionary<string, double> Measure(int t, bool eigenvalues, IFlowProcess gd, IFlowProcess cf, IFlowProcess gf, double eta,
        FlowOptions options)
    {
        double dt = 1.0 / options.Substeps;
        var row = new Dictionary<string, double> { [FlowColumns.Step] = t };
        using (var theta = gd.Theta())
        using (var thetaCf = cf.Theta())
        using (var thetaGf = gf.Theta())
        {
            row[FlowColumns.DistanceCf] = (theta - thetaCf).norm().item<double>();
            row[FlowColumns.DistanceGf] = (theta - thetaGf).norm().item<double>();
        }
        using (var point = gd.Point())
        {
            row[FlowColumns.GdLoss] = gd.Loss(point);
            row[FlowColumns.GdGradNorm] = Gradient(point).norm().item<double>();
            var top = eigenvalues ? gd.Top(point) : [];
            for (int i = 0; i < top.Length; i++) row[FlowColumns.GdSharpness(i + 1)] = eta * top[i].Value;
            if (top.Length > 0)
            {
                var stabilization = SelfStabilization.At(point, top[0].Vector, eta);
                if (stabilization.Delta2 is { } delta2) row[FlowColumns.GdDelta2] = delta2;
                row[FlowColumns.GdXu2] = stabilization.XU * stabilization.XU;
            }
        }
        CentralFlowStep(t, cf, eta, options, row);
        for (int s = 0; s < options.Substeps; s++)
        {
            using var point = gf.Point();
            var gradient = Gradient(point);
            if (s == 0)
            {
                row[FlowColumns.GfLoss] = gf.Loss(point);
                row[FlowColumns.GfGradNorm] = gradient.norm().item<double>();
                var top = eigenvalues ? gf.Top(point) : [];
                for (int i = 0; i < top.Length; i++) row[FlowColumns.GfSharpness(i + 1)] = eta * top[i].Value;
            }
            gf.Displace(point, gradient * (-eta * dt));
        }
        return row;
    }

    /// <summary>The Rayleigh–Ritz pairs of the last solve's span, or null where there is none yet or it has gone stale (a residual
    /// above <see cref="FlowOptions.SpanTolerance"/>: the Hessian turned faster than the Ritz pairs can follow) and a solve is due.</summary>
    private static (double Value, Tensor Vector)[]? Within(IFlowProcess process, IDifferentiablePoint point, IReadOnlyList<Tensor> span)
    {
        if (span.Count == 0) return null;
        var pairs = process.Within(point, span);
        return pairs.All(p => p.Residual <= FlowOptions.SpanTolerance) ? [.. pairs.Select(p => (p.Value, p.Vector))] : null;
    }

    /// <summary>
    /// The central flow's substeps over one GD step, its row's columns measured at the first. At each refresh (every
    /// --refresh-every substeps) the eigenpairs (a solve where due, else the Rayleigh–Ritz pairs of the last solve's span) and the
    /// critical span with its third-order products; in between, the span is held (<see cref="HeldSpan"/>, across steps
    /// where the interval is longer than a step) and its Hessian carried to first order, as long as the last interval's carried
    /// eigenvalues matched the refreshed ones (<see cref="FlowOptions.HoldTolerance"/>): otherwise the interval refreshes at every
    /// substep, so that a Hessian turning faster than the interval is followed as closely as with --refresh-every 1. The held
    /// span runs in the shadow of such an interval to judge the next.
    /// </summary>
    private static void CentralFlowStep(int t, IFlowProcess cf, double eta, FlowOptions options, Dictionary<string, double> row)
    {
        double dt = 1.0 / options.Substeps;
        bool holding = options.RefreshEvery > 1;
        (double Value, Tensor Vector)[] solved = [];
        CentralFlow.Span? span = null;         // this substep's own, inside an interval not held
        try
        {
            for (int s = 0; s < options.Substeps; s++)
            {
                using var point = cf.Point();
                bool refresh = options.Refreshes(t, s) || cf.Held.Span is null;
                if (refresh || !cf.Held.Holding)
                {
                    var top = refresh && options.Solves(t, s) ? null : Within(cf, point, s == 0 ? cf.Solved : [.. solved.Select(p => p.Vector)]);
                    top ??= cf.Top(point);
                    solved = top;
                    span?.Dispose();
                    span = null;
                    if (refresh)
                    {
                        int held = SpanSize(cf.Held.Refreshed, top, eta, options);
                        cf.Held.Refreshed = [.. top.Select(p => p.Value)];
                        cf.Held.Holding = holding && Matches(cf.Held.Carried, top, held, options.HoldTolerance);
                        cf.Held.Span = CentralFlow.Critical(point, top[..held], eta, holding ? 0 : options.Critical);
                    }
                    else span = CentralFlow.Critical(point, top, eta, options.Critical);
                    if (s == 0)
                        for (int i = 0; i < top.Length; i++) row[FlowColumns.CfSharpness(i + 1)] = eta * top[i].Value;
                }
                else if (s == 0)
                {
                    var carried = Eigenvalues(cf.Held.Span!);
                    for (int i = 0; i < carried.Length; i++) row[FlowColumns.CfSharpness(i + 1)] = eta * carried[i];
                }
                using var velocity = Velocity(t, point, span ?? cf.Held.Span!, eta, dt);
                if (s == 0)
                {
                    double loss = cf.Loss(point);
                    var x = velocity.XEigenvalues;
                    row[FlowColumns.CfLoss] = loss;
                    row[FlowColumns.CfPredictedLoss] = loss + x.Sum() / eta;
                    row[FlowColumns.CfPredictedGradNorm] = velocity.Theta.norm().item<double>() / eta;
                    row[FlowColumns.CfCritical] = velocity.Critical;
                    for (int i = 0; i < x.Length; i++) row[FlowColumns.XEigenvalue(i + 1)] = x[i];
                    row[FlowColumns.CfSolverResidual] = velocity.SolverResidual;
                }
                using var delta = velocity.Theta * dt;
                if (holding)
                {
                    cf.Held.Span!.Advance(delta);
                    if (s + 1 < options.Substeps ? options.Refreshes(t, s + 1) : options.Refreshes(t + 1, 0))
                        cf.Held.Carried = Eigenvalues(cf.Held.Span);
                }
                cf.Displace(point, delta);
            }
        }
        finally { span?.Dispose(); }
    }

    /// <summary>The eigenvalues of the Hessian on a span as carried, largest first.</summary>
    private static double[] Eigenvalues(CentralFlow.Span span) => span.Count == 0 ? []
        : [.. span.Projected.Evd(Symmetricity.Symmetric).EigenValues.Select(e => e.Real).OrderDescending()];

    /// <summary>Whether the eigenvalues the last interval carried to its end (largest first; null: none carried yet) are within
    /// <paramref name="tolerance"/> (relative) of those refreshed there, and the span to hold next has no pair the last had not
    /// (an eigenvalue entering the span, fast there, enters with an interval refreshed at every substep).</summary>
    private static bool Matches(double[]? carried, (double Value, Tensor Vector)[] top, int held, double tolerance) =>
        carried is not null && held <= carried.Length
        && carried.Select((value, i) => Math.Abs(value - top[i].Value) <= tolerance * Math.Abs(top[i].Value)).All(ok => ok);

    /// <summary>
    /// How many of the leading pairs the span holds until the next refresh: those above the critical level and, where the span is
    /// held over several substeps, those that would reach it by then at the pace they moved since the last refresh, whose
    /// eigenvalues are <paramref name="last"/> (an eigenvalue that crossed both the level and 2/η between two refreshes would
    /// otherwise go unconstrained in between).
    /// </summary>
    private static int SpanSize(double[] last, (double Value, Tensor Vector)[] top, double eta, FlowOptions options)
    {
        int held = 0;
        for (int i = 0; i < top.Length; i++)
        {
            double ahead = options.RefreshEvery > 1 && i < last.Length ? 2 * top[i].Value - last[i] : top[i].Value;
            if (eta * Math.Max(top[i].Value, ahead) > options.Critical) held = i + 1;
        }
        return held;
    }

    /// <summary>The central flow's velocity; a complementarity problem with no solution is the flow's one-line error, not a crash.</summary>
    private static CentralFlow.Velocity Velocity(int t, IDifferentiablePoint point, CentralFlow.Span span, double eta, double dt)
    {
        try { return CentralFlow.At(point, span, eta, dt); }
        catch (InvalidOperationException e) { throw new ProbesError($"step {t}: {e.Message}"); }
    }

    /// <summary>∇L = (1/n)·Jᵀg at the point, float64.</summary>
    public static Tensor Gradient(IDifferentiablePoint point) => point.JacobianTransposed(point.LossGradient).div_(point.SampleCount);
}
