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
        }
        (double Value, Tensor Vector)[] solved = [];
        for (int s = 0; s < options.Substeps; s++)
        {
            using var point = cf.Point();
            var top = s % options.SolveEvery == 0 ? null : Within(cf, point, solved);
            if (top is null) solved = top = cf.Top(point);
            using var velocity = Velocity(t, point, top, eta, dt, options.Critical);
            if (s == 0)
            {
                double loss = cf.Loss(point);
                var x = velocity.XEigenvalues;
                row[FlowColumns.CfLoss] = loss;
                row[FlowColumns.CfPredictedLoss] = loss + x.Sum() / eta;
                row[FlowColumns.CfPredictedGradNorm] = velocity.Theta.norm().item<double>() / eta;
                for (int i = 0; i < top.Length; i++) row[FlowColumns.CfSharpness(i + 1)] = eta * top[i].Value;
                row[FlowColumns.CfCritical] = velocity.Critical;
                for (int i = 0; i < x.Length; i++) row[FlowColumns.XEigenvalue(i + 1)] = x[i];
                row[FlowColumns.CfSolverResidual] = velocity.SolverResidual;
            }
            cf.Displace(point, velocity.Theta * dt);
        }
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

    /// <summary>The Rayleigh–Ritz pairs of the last solve's span, or null where the span has gone stale (a residual above
    /// <see cref="FlowOptions.SpanTolerance"/>: the Hessian turned faster than a substep's Ritz pairs can follow) and a solve is due.</summary>
    private static (double Value, Tensor Vector)[]? Within(IFlowProcess process, IDifferentiablePoint point, (double Value, Tensor Vector)[] solved)
    {
        var pairs = process.Within(point, [.. solved.Select(p => p.Vector)]);
        return pairs.All(p => p.Residual <= FlowOptions.SpanTolerance) ? [.. pairs.Select(p => (p.Value, p.Vector))] : null;
    }

    /// <summary>The central flow's velocity; a complementarity problem with no solution is the flow's one-line error, not a crash.</summary>
    private static CentralFlow.Velocity Velocity(int t, IDifferentiablePoint point, (double, Tensor)[] top, double eta, double dt,
        double critical)
    {
        try { return CentralFlow.At(point, top, eta, dt, critical); }
        catch (InvalidOperationException e) { throw new ProbesError($"step {t}: {e.Message}"); }
    }

    /// <summary>∇L = (1/n)·Jᵀg at the point, float64.</summary>
    public static Tensor Gradient(IDifferentiablePoint point) => point.JacobianTransposed(point.LossGradient).div_(point.SampleCount);
}
