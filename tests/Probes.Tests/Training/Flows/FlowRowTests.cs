using Probes.Eigensolvers;
using Probes.Models;
using QuadraticFit.Models;
using Training.Flows;
using Xunit;
using static TorchSharp.torch;

namespace Probes.Tests;

/// <summary>
/// The central flow's eigenpairs between its solves (--solve-every): on a random quadratic model at its edge, solving once a step
/// and carrying the pairs by Rayleigh–Ritz over the other substeps gives the flow of a solve at every substep to the Ritz pairs'
/// accuracy, and the Ritz pairs are really used (not every one rejected as stale).
/// </summary>
public class FlowRowTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>A quadratic model's process that counts its solves and its Rayleigh–Ritz calls.</summary>
    private sealed class Counted(QuadraticFlowProcess inner) : IFlowProcess
    {
        public int Solves, Spans;
        public IDifferentiablePoint Point() => inner.Point();
        public double Loss(IDifferentiablePoint point) => inner.Loss(point);
        public (double Value, Tensor Vector)[] Top(IDifferentiablePoint point) { Solves++; return inner.Top(point); }
        public RitzPair[] Within(IDifferentiablePoint point, IReadOnlyList<Tensor> vectors)
        {
            Spans++;
            return ((IFlowProcess)inner).Within(point, vectors);
        }
        public void Displace(IDifferentiablePoint point, Tensor delta) => inner.Displace(point, delta);
        public Tensor Theta() => inner.Theta();
        public void Dispose() => inner.Dispose();
    }

    private static (List<Dictionary<string, double>> Rows, Counted Cf) Flow(int solveEvery, int steps)
    {
        var (sigmaZ, sigmaJ) = QuadraticModel.Rescaled(0.3, 0.5, 8, 16);           // `quad simulate --model random --D 8 --P 16`'s
        using var model = QuadraticModel.Random(8, 16, sigmaZ, sigmaJ, 0);
        var options = new FlowOptions { SolveEvery = solveEvery };
        using var theta = model.Theta.clone();
        Counted Process() => new(new QuadraticFlowProcess(model, theta, options.K));
        using var gd = Process();
        var cf = Process();
        using var gf = Process();
        var rows = new List<Dictionary<string, double>>();
        for (int t = 0; t <= steps; t++)
        {
            using var scope = NewDisposeScope();
            rows.Add(FlowRow.Measure(t, true, gd, cf, gf, 1.0, options));
            using var point = gd.Point();
            gd.Displace(point, FlowRow.Gradient(point) * -1.0);
        }
        return (rows, cf);
    }

    [Fact]
    public void SolvingOnceAStepFollowsTheFlowOfASolveAtEverySubstep()
    {
        const int steps = 40;
        var (exact, exactCf) = Flow(solveEvery: 1, steps);
        var (carried, carriedCf) = Flow(solveEvery: 4, steps);
        using var disposeExact = exactCf;
        using var disposeCarried = carriedCf;        // the central flows' θ, kept for their counts
        Assert.Equal(4 * (steps + 1), exactCf.Solves);
        Assert.Equal(0, exactCf.Spans);
        int accepted = carriedCf.Spans - (carriedCf.Solves - (steps + 1));
        output.WriteLine($"central flow: {carriedCf.Solves} solves, {carriedCf.Spans} Rayleigh–Ritz substeps of which {accepted} kept");
        Assert.Equal(3 * (steps + 1), carriedCf.Spans);
        Assert.True(accepted > carriedCf.Spans / 2, $"{accepted} of {carriedCf.Spans} Rayleigh–Ritz substeps kept");
        Assert.Contains(carried, r => r.GetValueOrDefault(FlowColumns.XEigenvalue(1)) > 0);
        for (int t = 0; t <= steps; t++)
            foreach (var column in new[] { FlowColumns.CfPredictedLoss, FlowColumns.CfSharpness(1), FlowColumns.DistanceCf })
            {
                double a = exact[t][column], b = carried[t][column];
                output.WriteLine($"{t} {column} {a:G10} {b:G10}");
                Assert.True(Math.Abs(a - b) <= 1e-3 * Math.Abs(a) + 1e-12, $"step {t} {column}: {b} once a step, {a} at every substep");
            }
    }
}
