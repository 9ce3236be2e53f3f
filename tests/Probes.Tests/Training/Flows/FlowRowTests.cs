using Probes.Eigensolvers;
using Probes.Flows;
using Probes.Models;
using QuadraticFit.Models;
using Training.Flows;
using Xunit;
using static TorchSharp.torch;

namespace Probes.Tests;

/// <summary>
/// The central flow's cheaper schedules against a solve and third-order products at every substep, on a random quadratic model
/// at its edge: Rayleigh–Ritz pairs of the last solve's span between solves (--solve-every, within a step or steps apart), and
/// the span's Hessian carried to first order between refreshes (--refresh-every). Each gives the same flow to the accuracy of its
/// approximation, and the Ritz pairs are really used (not every one rejected as stale).
/// </summary>
public class FlowRowTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>A quadratic model's process that counts its solves and its Rayleigh–Ritz calls.</summary>
    private sealed class Counted(QuadraticFlowProcess inner, FlowOptions options) : IFlowProcess
    {
        private int _points, _counted;

        /// <summary>Eigen-solves, Rayleigh–Ritz refreshes, and eigenpairs taken between refreshes (an interval not held).</summary>
        public int Solves, Spans, Later;

        public IDifferentiablePoint Point() { _points++; return inner.Point(); }
        public double Loss(IDifferentiablePoint point) => inner.Loss(point);
        public (double Value, Tensor Vector)[] Top(IDifferentiablePoint point)
        {
            Solves++;
            Count();
            return inner.Top(point);
        }
        private void Count()
        {
            if (!options.Refreshes((_points - 1) / 4, (_points - 1) % 4) && _counted != _points) Later++;
            _counted = _points;
        }
        public IReadOnlyList<Tensor> Solved => inner.Solved;
        public HeldSpan Held => inner.Held;
        public RitzPair[] Within(IDifferentiablePoint point, IReadOnlyList<Tensor> vectors)
        {
            Spans++;
            Count();
            return ((IFlowProcess)inner).Within(point, vectors);
        }
        public void Displace(IDifferentiablePoint point, Tensor delta) => inner.Displace(point, delta);
        public Tensor Theta() => inner.Theta();
        public void Dispose() => inner.Dispose();
    }

    private static (List<Dictionary<string, double>> Rows, Counted Cf) Flow(int refreshEvery, int solveEvery, int steps,
        double? holdTolerance = null)
    {
        var (sigmaZ, sigmaJ) = QuadraticModel.Rescaled(0.3, 0.5, 8, 16);           // `quad simulate --model random --D 8 --P 16`'s
        using var model = QuadraticModel.Random(8, 16, sigmaZ, sigmaJ, 0);
        var options = new FlowOptions
        {
            RefreshEvery = refreshEvery, SolveEvery = solveEvery, HoldTolerance = holdTolerance ?? new FlowOptions().HoldTolerance,
        };
        using var theta = model.Theta.clone();
        Counted Process() => new(new QuadraticFlowProcess(model, theta, options.K), options);
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

    /// <summary>The largest relative difference of the central flow's predicted loss, η·λ₁ and distance from GD between two flows,
    /// over steps from <paramref name="first"/> on, and where it is.</summary>
    private static (double Error, string At) Difference(List<Dictionary<string, double>> reference, List<Dictionary<string, double>> flow,
        int first = 0)
    {
        var (worst, at) = (0.0, "");
        for (int t = first; t < reference.Count; t++)
            foreach (var column in new[] { FlowColumns.CfPredictedLoss, FlowColumns.CfSharpness(1), FlowColumns.DistanceCf })
            {
                // A step inside a held span has only the span's carried eigenvalues (none where it holds none).
                if (!flow[t].TryGetValue(column, out double b)) continue;
                double a = reference[t][column], error = Math.Abs(a - b) / (Math.Abs(a) + 1e-12);
                if (error > worst) (worst, at) = (error, $"step {t} {column}: {b} against {a}");
            }
        return (worst, at);
    }

    [Theory]
    [InlineData(1, 4, 1, 1e-3)]     // a solve once a step, Rayleigh–Ritz pairs and ∇³L at the other substeps, against every substep
    [InlineData(4, 16, 4, 1e-2)]    // a solve every 4 steps and Rayleigh–Ritz pairs of its span between, against a solve every step
    [InlineData(4, 4, 1, 2e-3)]     // the span held over a step where the last interval's carried eigenvalues were right
    [InlineData(8, 16, 1, 1e-2)]    // the defaults: the span held over two steps, solves four steps apart
    public void RayleighRitzPairsBetweenSolvesFollowTheFlowOfASolveAtEach(int refreshEvery, int solveEvery, int referenceRefresh,
        double tolerance)
    {
        const int steps = 40;
        var (exact, exactCf) = Flow(referenceRefresh, referenceRefresh, steps);
        var (carried, carriedCf) = Flow(refreshEvery, solveEvery, steps);
        using var disposeExact = exactCf;
        using var disposeCarried = carriedCf;        // the central flows' θ, kept for their counts
        if (referenceRefresh == 1) Assert.Equal((4 * (steps + 1), 0), (exactCf.Solves, exactCf.Spans));
        var schedule = new FlowOptions { RefreshEvery = refreshEvery, SolveEvery = solveEvery };
        var substeps = Enumerable.Range(0, steps + 1).SelectMany(t => Enumerable.Range(0, 4).Select(s => (t, s))).ToArray();
        int scheduled = substeps.Count(p => schedule.Solves(p.t, p.s)), refreshes = substeps.Count(p => schedule.Refreshes(p.t, p.s));
        int accepted = carriedCf.Spans - (carriedCf.Solves - scheduled);
        output.WriteLine($"central flow: {carriedCf.Solves} solves, {carriedCf.Spans} Rayleigh–Ritz refreshes of which {accepted} kept; "
            + $"{carriedCf.Later} substeps refreshed between refreshes");
        // Rayleigh–Ritz pairs at each refresh not due to solve, and at each substep of an interval not held.
        Assert.Equal(refreshes - scheduled + carriedCf.Later, carriedCf.Spans);
        if (solveEvery > refreshEvery) Assert.True(accepted >= 10, $"{accepted} of {carriedCf.Spans} Rayleigh–Ritz refreshes kept");
        Assert.Contains(carried, r => r.GetValueOrDefault(FlowColumns.XEigenvalue(1)) > 0);
        var (worst, at) = Difference(exact, carried);
        output.WriteLine($"largest relative difference: {worst:G3} ({at})");
        Assert.True(worst <= tolerance, at);
    }

    /// <summary>
    /// The span's Hessian carried to first order over --refresh-every substeps errs by the second-order change of UᵀHU over the
    /// interval, which the next refresh corrects (X absorbs it): halving the interval divides the flow's difference from the
    /// every-substep flow by about four. This model's Hessian moves by O(1) a step (GD's loss halves each step at its edge), the
    /// worst case: on the networks it moves by ~1e-3 a step and the difference is ~1e-5 (docs/reproduction.md).
    /// </summary>
    [Fact]
    public void AHeldSpanConvergesAtSecondOrderInItsInterval()
    {
        const int steps = 40;
        var (exact, exactCf) = Flow(1, 1, steps);
        var (half, halfCf) = Flow(2, 4, steps, holdTolerance: double.PositiveInfinity);
        var (held, heldCf) = Flow(4, 4, steps, holdTolerance: double.PositiveInfinity);
        using var disposeExact = exactCf;
        using var disposeHalf = halfCf;
        using var disposeHeld = heldCf;
        // Held at every step but the first (nothing carried to check yet) and the edge's entry (λ₁ enters the span there).
        output.WriteLine($"{heldCf.Later} substeps refreshed between refreshes, {heldCf.Solves} solves, {heldCf.Spans} Rayleigh–Ritz");
        Assert.Equal(6, heldCf.Later);
        Assert.Equal((steps + 1 + 6, 6), (heldCf.Solves, heldCf.Spans));       // this model's Hessian turns too fast for Ritz pairs
        var (fine, fineAt) = Difference(exact, half);
        var (coarse, coarseAt) = Difference(exact, held);
        output.WriteLine($"every 2 substeps: {fine:G3} ({fineAt}); every 4: {coarse:G3} ({coarseAt})");
        Assert.True(coarse / fine is > 3 and < 8, $"{coarse:G3} at 4 substeps against {fine:G3} at 2");
        Assert.True(coarse < 0.2, coarseAt);
        double highest = held.Skip(1).Max(r => r[FlowColumns.CfSharpness(1)]);
        output.WriteLine($"largest η·λ₁ {highest:F6} (every substep: {exact.Skip(1).Max(r => r[FlowColumns.CfSharpness(1)]):F6})");
        Assert.True(highest <= 2.01, $"η·λ₁ {highest}");
    }
}
