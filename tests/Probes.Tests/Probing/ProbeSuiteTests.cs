using MathNet.Numerics.LinearAlgebra;
using Probes.Models;
using Probes.Probing;
using TorchSharp;
using Xunit;
using static Probes.Tests.Numerics;
using static TorchSharp.torch;

namespace Probes.Tests;

/// <summary>Every probe against a dense computation on a tiny float64 network.</summary>
public class ProbeSuiteTests
{
    private const double Eta = 0.05;

    private static Matrix<double> Dense(double[,] a) => Matrix<double>.Build.DenseOfArray(a);

    /// <summary>Explicit J, per-output Hessians ∇²f_α (one HVP per basis vector of the generic point), K and H.</summary>
    private sealed class Explicit
    {
        public Matrix<double> J = null!, K = null!, H = null!;
        public Matrix<double>[] OutputHessians = null!;
        public Vector<double> Z = null!;

        public static Explicit Of(TinyNetwork net)
        {
            using var g = net.Generic();
            var e = new Explicit { J = Dense(TinyNetwork.Jacobian(g)), Z = Vector<double>.Build.DenseOfArray(g.Residual.data<double>().ToArray()) };
            e.K = e.J * e.J.Transpose() / net.N;
            e.OutputHessians = Enumerable.Range(0, (int)g.OutputSize)
                .Select(a => Dense(TinyNetwork.OutputHessian(g, TinyNetwork.Basis(g.OutputSize, a)))).ToArray();
            var weighted = e.OutputHessians.Select((h, a) => h * e.Z[a]).Aggregate((x, y) => x + y);
            e.H = (e.J.Transpose() * e.J + weighted) / net.N;
            return e;
        }

        public Matrix<double> Q(Vector<double> u) => OutputHessians.Select((h, a) => h * u[a]).Aggregate((x, y) => x + y);
    }

    private static (double[] Values, Matrix<double> Vectors) Descending(Matrix<double> m)
    {
        var evd = m.Evd(Symmetricity.Symmetric);
        var values = evd.EigenValues.Select(c => c.Real).ToArray();
        var order = Enumerable.Range(0, values.Length).OrderByDescending(i => values[i]).ToArray();
        return (order.Select(i => values[i]).ToArray(), Matrix<double>.Build.Dense(m.RowCount, m.ColumnCount, (r, c) => evd.EigenVectors[r,
            order[c]]));
    }

    private static ProbeSuite Suite(int k = 3, int qEvery = 1) =>
        new(new ProbeOptions
        {
            LearningRate = Eta, K = k, Tolerance = 1e-12, HessianTolerance = 1e-12,
            QTolerance = 1e-12, MaxIterations = 200, SpectrumSize = 3, QEvery = qEvery,
        });

    [Fact]
    public void QExtremesRunOnTheirOwnScheduleAndAlwaysOnSpectrumSteps()
    {
        using var net = new TinyNetwork(n: 4);
        // Probes every 3rd step, Q every 3rd probe: counted in steps every probe would have Q, counted in probes the 1st, 4th and
        // 7th do, and the spectrum step's; a suite restored from the state after the 4th probe goes on the same way.
        using var suite = Suite(k: 2, qEvery: 3);
        var withQ = new List<int>();
        ProbeSuite current = suite;
        ProbeSuite? resumed = null;
        for (int step = 0; step <= 18; step += 3)
        {
            using var p = net.Fast();
            var r = current.Run(p, step, spectra: step == 12);
            Assert.True(double.IsFinite(r["eta_ntk_1"]) && double.IsFinite(r["nl_ratio"]), $"step {step}: NTK and ratio run at every probe");
            if (double.IsFinite(r["q1_max"])) { withQ.Add(step); Assert.True(double.IsFinite(r["qr_min"])); }
            else Assert.True(double.IsNaN(r["qr_min"]));
            if (step == 9)
            {
                resumed = Suite(k: 2, qEvery: 3);
                resumed.Import(suite.Export(), TorchSharp.torch.CPU);
                current = resumed;
            }
        }
        resumed?.Dispose();
        Assert.Equal([0, 9, 12, 18], withQ);
    }

    [Fact]
    public void WarmStartVectorsAreKeptAsTheProbeStateStoresThem()
    {
        using var net = new TinyNetwork(n: 4);
        using var suite = Suite(k: 2);
        using (var p = net.Fast()) suite.Run(p, 0);
        var state = suite.Export();
        foreach (var (name, vectors) in state.Vectors.Where(e => !e.Key.Contains("history") && !e.Key.Contains("values") &&
            !e.Key.Contains("schedule")))
            Assert.All(vectors.SelectMany(v => v), x => Assert.Equal(x, (double)(float)x));
        using var stream = new MemoryStream();
        state.Write(stream);
        stream.Position = 0;
        var back = ProbeState.Read(stream);
        Assert.Equal(state.LastSharpness, back.LastSharpness);
        foreach (var (name, vectors) in state.Vectors)
            Assert.Equal(vectors.SelectMany(v => v).ToArray(), back.Vectors[name].SelectMany(v => v).ToArray());
        Assert.Contains(state.Vectors["history"][0], x => (double)(float)x != x);   // z₁ kept in float64: the test can tell
    }

    [Fact]
    public void NtkHessianAndQ1MatchDenseComputations()
    {
        using var net = new TinyNetwork(n: 4);
        var ex = Explicit.Of(net);
        using var suite = Suite();
        using var point = net.Fast();
        var r = suite.Run(point, 0, spectra: true);

        var (kValues, kVectors) = Descending(ex.K);
        for (int i = 0; i < 3; i++) Close(r[$"ntk_{i + 1}"], kValues[i], 1e-9, $"NTK λ{i + 1}");
        var v1 = kVectors.Column(0);
        var v1Probe = suite.NtkVectors[0].data<double>().ToArray();
        double overlap = Math.Abs(v1.DotProduct(Vector<double>.Build.DenseOfArray(v1Probe)));
        Assert.True(overlap >= 1 - 1e-7, $"|⟨v₁, v₁ exact⟩| = {overlap} (the suite keeps v₁ rounded to float32)");
        Close(Math.Abs(r["z1"]), Math.Abs(v1.DotProduct(ex.Z)), 1e-9, "|z₁|");
        Close(r["y"], Eta * kValues[0] - 2, 1e-9, "y");
        Close(r["z_norm"], ex.Z.L2Norm(), 1e-12, "‖z‖");

        var (hValues, _) = Descending(ex.H);
        for (int i = 0; i < 3; i++) Close(r[$"hess_{i + 1}"], hValues[i], 1e-9, $"Hessian λ{i + 1}");

        // Q₁ with the exact v₁, signed as the probe's: both ends.
        var v1Aligned = v1.DotProduct(Vector<double>.Build.DenseOfArray(v1Probe)) < 0 ? -v1 : v1;
        var (qValues, _) = Descending(ex.Q(v1Aligned));
        Close(r["q1_max"], qValues[0], 1e-9, "Q₁ max");
        Close(r["q1_min"], qValues[^1], 1e-9, "Q₁ min");
        var top = r.Spectra.Where(s => s.Operator == "q1" && s.End == "top").Select(s => s.Value).ToArray();
        var bottom = r.Spectra.Where(s => s.Operator == "q1" && s.End == "bottom").Select(s => s.Value).ToArray();
        for (int i = 0; i < 3; i++)
        {
            Close(top[i], qValues[i], 1e-9, $"Q₁ top {i + 1}");
            Close(bottom[i], qValues[^(i + 1)], 1e-9, $"Q₁ bottom {i + 1}");
        }

        // One-step split: −η λ₁ z₁ and ½(η/n)² z₁² Q₁(Jᵀv₁, Jᵀv₁).
        double z1 = v1Aligned.DotProduct(ex.Z);
        var g = ex.J.Transpose() * v1Aligned;
        double q1gg = g.DotProduct(ex.Q(v1Aligned) * g);
        Close(r["z1_lin"], -Eta * kValues[0] * z1, 1e-9, "z1_lin");
        Close(r["z1_nl"], 0.5 * Math.Pow(Eta / net.N, 2) * z1 * z1 * q1gg, 1e-8, "z1_nl");
        Close(r["nl_ratio"], r["z1_nl"] / r["z1_lin"], 1e-12, "nl_ratio");

        // The candidates: the full residual's second-order term, and both against the two-step term y·z₁.
        var d = ex.J.Transpose() * ex.Z * (-Eta / net.N);
        double full = 0.5 * d.DotProduct(ex.Q(v1Aligned) * d);
        Close(r["z1_nl_full"], full, 1e-8, "z1_nl_full");
        Close(r["nl_ratio_full"], full / r["z1_lin"], 1e-8, "nl_ratio_full");
        double twoStep = (Eta * kValues[0] - 2) * z1;
        Close(r["nl_ratio_2step"], r["z1_nl"] / twoStep, 1e-8, "nl_ratio_2step");
        Close(r["nl_ratio_2step_full"], full / twoStep, 1e-8, "nl_ratio_2step_full");
    }

    [Fact]
    public void TheQToleranceGovernsOnlyTheQSolvesAndItsEigenvaluesAreAccurateToAboutItsSquare()
    {
        using var net = new TinyNetwork(n: 8, hidden: [8, 6]);
        var ex = Explicit.Of(net);
        using var tight = Suite(k: 2);
        var looseOptions = new ProbeOptions
        {
            LearningRate = Eta, K = 2, Tolerance = 1e-12, HessianTolerance = 1e-12, QTolerance = 1e-3, MaxIterations = 200, SpectrumSize = 3,
        };
        using var loose = new ProbeSuite(looseOptions);
        using var point = net.Fast();
        var t = tight.Run(point, 0);
        var l = loose.Run(point, 0);
        foreach (var column in new[] { "ntk_1", "ntk_2", "hess_1", "hess_2", "ntk_iters", "hess_iters", "z1", "nl_ratio" })
            Assert.Equal(t[column], l[column]);        // the NTK and Hessian solves and all that follows from v₁: untouched
        Assert.True(l["q1_iters"] < t["q1_iters"], $"Q₁ at 1e-3: {l["q1_iters"]} matvecs, at 1e-12: {t["q1_iters"]}");
        Assert.True(l["qr_iters"] < t["qr_iters"], $"Q_r at 1e-3: {l["qr_iters"]} matvecs, at 1e-12: {t["qr_iters"]}");
        var exactV1 = Descending(ex.K).Vectors.Column(0);
        var probeV1 = Vector<double>.Build.DenseOfArray(tight.NtkVectors[0].data<double>().ToArray());
        var (qValues, _) = Descending(ex.Q(exactV1.DotProduct(probeV1) < 0 ? -exactV1 : exactV1));
        Close(t["q1_max"], qValues[0], 1e-9, "Q₁ max at 1e-12");
        foreach (var (column, exact) in new[] { ("q1_max", qValues[0]), ("q1_min", qValues[^1]) })
        {
            double error = Math.Abs(l[column] - exact) / Math.Abs(exact);
            Assert.True(error > 0 && error < 1e-4, $"{column} at 1e-3: relative error {error:E1} (Rayleigh quotient: about tol², not tol)");
        }
    }

    [Fact]
    public void TheHessianToleranceGovernsOnlyTheHessianSolvesAndItsEigenvaluesAreAccurateToAboutItsSquare()
    {
        using var net = new TinyNetwork(n: 8, hidden: [8, 6]);
        var (hValues, _) = Descending(Explicit.Of(net).H);
        using var tight = Suite(k: 2);
        var looseOptions = new ProbeOptions
        {
            LearningRate = Eta, K = 2, Tolerance = 1e-12, HessianTolerance = 1e-3, QTolerance = 1e-12, MaxIterations = 200, SpectrumSize = 3,
        };
        using var loose = new ProbeSuite(looseOptions);
        using var point = net.Fast();
        var t = tight.Run(point, 0);
        var l = loose.Run(point, 0);
        foreach (var column in new[] { "ntk_1", "ntk_2", "ntk_iters", "z1", "nl_ratio", "q1_max", "q1_min", "q1_iters" })
            Assert.Equal(t[column], l[column]);        // the NTK, Q and everything that follows from v₁: untouched
        Assert.True(l["hess_iters"] < t["hess_iters"], $"Hessian at 1e-3: {l["hess_iters"]} matvecs, at 1e-12: {t["hess_iters"]}");
        Assert.True(l["hess_resid"] <= 1e-3 && l["hess_resid"] > 1e-12, $"residual {l["hess_resid"]:E1}");
        foreach (var (column, exact) in new[] { ("hess_1", hValues[0]), ("hess_2", hValues[1]) })
        {
            Close(t[column], exact, 1e-9, $"{column} at 1e-12");
            double error = Math.Abs(l[column] - exact) / Math.Abs(exact);
            Assert.True(error < 1e-5, $"{column} at 1e-3: relative error {error:E1} (Rayleigh quotient: about tol², not tol)");
        }
    }

    [Fact]
    public void RealisedStepMatchesAnActualGradientDescentStep()
    {
        using var net = new TinyNetwork(n: 4);
        using var suite = Suite(k: 2);
        double z1, dz1;
        Tensor v1;
        using (var point = net.Fast())
        {
            var r = suite.Run(point, 0);
            z1 = r["z1"];
            dz1 = r["dz1_next"];
            // The exact v₁ (the suite keeps its vectors rounded to float32), signed as the suite's.
            var (_, vectors) = Descending(Explicit.Of(net).K);
            v1 = tensor(vectors.Column(0).ToArray(), float64);
            if (v1.dot(suite.NtkVectors[0]).item<double>() < 0) v1 = v1.neg();
            // GD step θ ← θ − (η/n) Jᵀz applied to the model itself.
            var step = point.JacobianTransposed(point.Residual) * (-Eta / net.N);
            DifferentiablePointTests.Shift(net.Model, step);
        }
        using var moved = net.Fast();
        Close(dz1, v1.dot(moved.Residual).item<double>() - z1, 1e-10, "dz1_next");
    }

    [Fact]
    public void SignIsAlignedWithThePreviousProbeAndSwapsAreReportedAsCrossings()
    {
        using var net = new TinyNetwork(n: 4);
        using var suite = Suite(k: 2);
        using var point = net.Fast();
        var first = suite.Run(point, 0);
        var v1 = suite.NtkVectors[0].clone();
        var v2 = suite.NtkVectors[1].clone();

        // Previous v₁ negated: the new v₁ must follow it, so z₁ flips sign.
        suite.Restore([-v1, v2], null);
        var flipped = suite.Run(point, 1);
        Assert.True(suite.NtkVectors[0].dot(v1).item<double>() < -1 + 1e-7);      // float32-rounded vectors
        Close(flipped["z1"], -first["z1"], 1e-9, "z₁ after a sign flip");
        Assert.Equal(0, flipped["crossing"]);

        // Previous vectors swapped: the top vector matches the old second one, a crossing.
        suite.Restore([v2, v1], null);
        var crossed = suite.Run(point, 2);
        Assert.Equal(1, crossed["crossing"]);
        Assert.True(crossed.Crossing);
    }

    /// <summary>η with 1 − η·λ₁ = −0.6 at the tiny network's start: z₁ flips sign every step (period-2 motion).</summary>
    private static double FlippingStepSize(TinyNetwork net)
    {
        using var s0 = Suite(k: 2);
        using var p0 = net.Fast();
        return 1.6 / s0.Run(p0, 0)["ntk_1"];
    }

    /// <summary>Hands <paramref name="into"/> the state of <paramref name="from"/> through the probe state's binary form, as a resume does.</summary>
    private static void Resume(ProbeSuite from, ProbeSuite into)
    {
        using var stream = new MemoryStream();
        from.Export().Write(stream);
        stream.Position = 0;
        into.Import(ProbeState.Read(stream), CPU);
    }

    /// <summary>Every column but the wall time identical: a resumed probe is the live one.</summary>
    private static void AssertSameProbe(ProbeRecord live, ProbeRecord resumed)
    {
        foreach (var (column, value) in live.Values.Where(p => p.Key != "probe_seconds"))
            Assert.Equal(value, resumed[column]);
    }

    [Fact]
    public void PeriodTwoMotionWarmStartsFromTwoAndFourStepsBackAndSurvivesExportImport()
    {
        using var net = new TinyNetwork(n: 4);
        double eta = FlippingStepSize(net);
        var options = new ProbeOptions
        {
            LearningRate = eta, K = 2, Tolerance = 1e-12, HessianTolerance = 1e-12, QTolerance = 1e-12, MaxIterations = 200,
        };
        using var suite = new ProbeSuite(options);
        using var resumed = new ProbeSuite(options);
        var lags = new List<double>();
        var estimates = new List<double>();
        var solves = new List<double>();            // the deflated solve's own matvecs
        for (int step = 0; step < 6; step++)
        {
            var (kValues, _) = Descending(Explicit.Of(net).K);
            using var point = net.Fast();
            var r = suite.Run(point, step);
            lags.Add(r["warm_lag"]);
            estimates.Add(r["ntk_deflation_iters"]);
            solves.Add(r["ntk_iters"] - r["ntk_deflation_iters"]);
            Close(r["ntk_1"], kValues[0], 1e-9, $"λ₁ at step {step}");
            Close(r["ntk_2"], kValues[1], 1e-9, $"λ₂ at step {step}");
            if (step == 4) AssertSameProbe(r, resumed.Run(point, step));      // imported after step 3
            if (step == 3) Resume(suite, resumed);
            DifferentiablePointTests.Shift(net.Model, point.JacobianTransposed(point.Residual) * (-eta / net.N));
        }
        Assert.Equal([0, 1, 2, 2, 4, 4], lags);     // step 0 cold, step 1 from step 0, then from t − 2, then extrapolated
        // Step 0 is a cold Lanczos solve; step 1 estimates the deflation space, which serves the next steps
        // until their matvecs above the cheapest solve add up to the estimate's cost (on this tiny operator
        // the estimate is cheap, so that happens by step 4). The resumed suite at step 4 decided the same from
        // the imported schedule: its probe was identical, estimate count included.
        Assert.Equal(0, estimates[0]);
        Assert.True(estimates[1] > 0);
        for (int step = 2; step < 6; step++)
        {
            int last = estimates.FindLastIndex(step - 1, e => e > 0);
            double cheapest = double.MaxValue, excess = 0;
            foreach (double cost in solves.Skip(last).Take(step - last))
                excess += Math.Max(cost - (cheapest = Math.Min(cheapest, cost)) - DeflationSchedule.Slack, 0);
            Assert.Equal(excess >= estimates[last], estimates[step] > 0);
        }
        Assert.Contains(estimates.Skip(2), e => e == 0);
    }

    [Fact]
    public void HessianOnEveryOtherStepRunsAtEvenAndSpectrumStepsMatchesTheDenseHessianAndResumesExactly()
    {
        using var net = new TinyNetwork(n: 4);
        double eta = FlippingStepSize(net);       // the period-2 motion the schedule is for
        var options = new ProbeOptions
        {
            LearningRate = eta, K = 2, Tolerance = 1e-12, HessianTolerance = 1e-12, QTolerance = 1e-12, MaxIterations = 200,
            HessianEvery = 2, QEvery = 100, SpectrumSize = 2,
        };
        using var suite = new ProbeSuite(options);
        using var resumed = new ProbeSuite(options);
        var withHessian = new List<int>();
        for (int step = 0; step < 9; step++)
        {
            var ex = Explicit.Of(net);
            using var point = net.Fast();
            var r = suite.Run(point, step, spectra: step == 5);
            Close(r["ntk_1"], Descending(ex.K).Values[0], 1e-9, $"NTK λ₁ at step {step}: on every probe");
            if (double.IsFinite(r["hess_1"]))
            {
                withHessian.Add(step);
                var (h, _) = Descending(ex.H);
                Close(r["hess_1"], h[0], 1e-9, $"Hessian λ₁ at step {step}");
                Close(r["hess_2"], h[1], 1e-9, $"Hessian λ₂ at step {step}");
                Close(r["eta_hess_1"], eta * h[0], 1e-9, $"η·λ₁ of the Hessian at step {step}");
            }
            else Assert.True(double.IsNaN(r["hess_2"]) && double.IsNaN(r["eta_hess_1"]));
            if (step == 8) AssertSameProbe(r, resumed.Run(point, step));      // imported after step 7
            if (step == 7) Resume(suite, resumed);
            DifferentiablePointTests.Shift(net.Model, point.JacobianTransposed(point.Residual) * (-eta / net.N));
        }
        Assert.Equal([0, 2, 4, 5, 6, 8], withHessian);
    }

    [Fact]
    public void DeflatedNtkAndHessianSolvesMatchLanczosAndAFreshSpaceThatDoesNotPayPausesDeflation()
    {
        using var net = new TinyNetwork(n: 8, hidden: [8, 6]);
        var lanczosOnly = new ProbeOptions
        {
            LearningRate = Eta, K = 2, Tolerance = 1e-12, HessianTolerance = 1e-12, QTolerance = 1e-12, MaxIterations = 200, Deflation = 0,
            Kinds = ProbeKinds.Ntk | ProbeKinds.Hessian
        };
        using var plain = new ProbeSuite(lanczosOnly);
        using var deflated = new ProbeSuite(lanczosOnly with { Deflation = 12, DeflationRefreshAbove = 60 });      // never "too costly" here
        using var pausing = new ProbeSuite(lanczosOnly with { Deflation = 12, DeflationRefreshAbove = 0 });       // every solve "too costly"
        var estimates = new List<(double Deflated, double Pausing)>();
        for (int step = 0; step <= 10; step++)
        {
            using var point = net.Fast();
            var p = plain.Run(point, step);
            var d = deflated.Run(point, step);
            var f = pausing.Run(point, step);
            if (step < 4)                      // the dense references are slow: the first steps, then Lanczos as the reference
            {
                var dense = Explicit.Of(net);
                var (kValues, _) = Descending(dense.K);
                var (hValues, _) = Descending(dense.H);
                Close(p["ntk_1"], kValues[0], 1e-9, $"λ₁ at step {step}");
                Close(p["ntk_2"], kValues[1], 1e-9, $"λ₂ at step {step}");
                Close(p["hess_1"], hValues[0], 1e-9, $"Hessian λ₁ at step {step}");
                Close(p["hess_2"], hValues[1], 1e-9, $"Hessian λ₂ at step {step}");
            }
            foreach (var r in new[] { d, f })
            {
                foreach (var column in new[] { "ntk_1", "ntk_2", "hess_1", "hess_2", "z1", "z2" })
                    Close(r[column], p[column], 1e-9, $"{column} at step {step}");
                Assert.True(r["ntk_resid"] <= 1e-12 && r["hess_resid"] <= 1e-12);
                foreach (var op in new[] { "ntk", "hess" })
                    Assert.True(r[$"{op}_iters"] > r[$"{op}_deflation_iters"], $"{op}_iters counts the estimate and the solve");
            }
            Assert.Equal(0, p["ntk_deflation_iters"] + p["hess_deflation_iters"]);
            Assert.Equal(Math.Sign(d["ntk_deflation_iters"]), Math.Sign(d["hess_deflation_iters"]));
            Assert.Equal(Math.Sign(f["ntk_deflation_iters"]), Math.Sign(f["hess_deflation_iters"]));
            estimates.Add((Math.Sign(d["ntk_deflation_iters"]), Math.Sign(f["ntk_deflation_iters"])));
            DifferentiablePointTests.Shift(net.Model, point.JacobianTransposed(point.Residual) * (-Eta / net.N));
        }
        // One estimate at the first step-by-step probe serves every later step.
        Assert.Equal([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], estimates.Select(e => e.Deflated));
        // A fresh space whose first solve is "too costly" pauses deflation for 8 probes (Lanczos, no
        // estimate: a deflated solve would have estimated the stale space), then estimates again.
        Assert.Equal([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1], estimates.Select(e => e.Pausing));
        // A probe after a gap (a sparse schedule) is deflated too, from the same space, and agrees with Lanczos.
        using (var point = net.Fast())
        {
            var late = deflated.Run(point, 20);
            var reference = plain.Run(point, 20);
            Assert.Equal(0, late["ntk_deflation_iters"] + late["hess_deflation_iters"]);
            foreach (var column in new[] { "ntk_1", "ntk_2", "hess_1", "hess_2" })
                Close(late[column], reference[column], 1e-9, $"{column} after a gap");
        }
    }

    /// <summary>
    /// eff_hess_i = λᵢ(P⁻¹H) against the dense nonsymmetric P⁻¹H, on both points; threshold and edge; with P = I (GD) eff_hess
    /// is hess; an optimizer that is not GD leaves y and the one-step split empty and keeps the NTK.
    /// </summary>
    [Fact]
    public void TheEffectiveHessianIsTheSpectrumOfPInverseHAndTheEdgeItsRatioToTheThreshold()
    {
        using var net = new TinyNetwork(n: 5);
        var dense = Explicit.Of(net);
        var diagonal = Enumerable.Range(0, dense.H.RowCount).Select(i => 0.2 + 1.7 * ((i * 7919) % 101) / 101.0).ToArray();
        var pInverseH = Matrix<double>.Build.DiagonalOfDiagonalArray(diagonal.Select(d => 1 / d).ToArray()) * dense.H;
        var expected = pInverseH.Evd().EigenValues.Select(c => c.Real).OrderByDescending(v => v).ToArray();
        Assert.True(pInverseH.Evd().EigenValues.All(c => Math.Abs(c.Imaginary) < 1e-9), "P⁻¹H is similar to a symmetric matrix");
        double threshold = 38 / Eta;
        var options = new ProbeOptions
        {
            LearningRate = Eta, K = 2, Tolerance = 1e-12, HessianTolerance = 1e-12, QTolerance = 1e-12, MaxIterations = 300,
            Threshold = threshold, GradientDescent = false,
        };
        foreach (var generic in new[] { false, true })
        {
            using var suite = new ProbeSuite(options);
            using IDifferentiablePoint point = generic ? net.Generic() : net.Fast();
            using var p = tensor(diagonal, float64);
            var r = suite.Run(point, 0, preconditioner: p);
            Close(r["eff_hess_1"], expected[0], 1e-9, "λ₁(P⁻¹H)");
            Close(r["eff_hess_2"], expected[1], 1e-9, "λ₂(P⁻¹H)");
            Assert.Equal(threshold, r["threshold"]);
            Close(r["edge"], expected[0] / threshold, 1e-9, "edge");
            Assert.True(r["eff_hess_iters"] > 0 && r["eff_hess_resid"] <= 1e-12);
            Close(r["ntk_1"], Descending(dense.K).Values[0], 1e-9, "the NTK is still probed");
            foreach (var gdOnly in new[] { "y", "z1_lin", "z1_nl", "nl_ratio", "dz1_next", "nl_ratio_2step" })
                Assert.True(double.IsNaN(r[gdOnly]), $"{gdOnly} is GD's and stays empty");
            Assert.Equal(2 * r["edge"], suite.LastSharpness!.Value, 12);
        }
        using (var gd = new ProbeSuite(options with { Threshold = null, GradientDescent = true }))
        using (var point = net.Fast())
        {
            var r = gd.Run(point, 0);
            Assert.Equal(r["hess_1"], r["eff_hess_1"]);
            Assert.Equal(r["hess_2"], r["eff_hess_2"]);
            Assert.Equal(2 / Eta, r["threshold"], 12);
            Close(r["edge"], Eta * Descending(dense.H).Values[0] / 2, 1e-9, "GD's edge is η·λ₁(H)/2");
            Assert.True(double.IsNaN(r["eff_hess_iters"]) && double.IsFinite(r["y"]) && double.IsFinite(r["nl_ratio"]));
            Assert.Equal(r["eta_ntk_1"], gd.LastSharpness);
        }
    }

    [Fact]
    public void UnderGdWithOnlyTheHessianTheLastSharpnessIsEtaTimesItsTopEigenvalue()
    {
        using var net = new TinyNetwork(n: 5);
        using var suite = new ProbeSuite(new ProbeOptions
        {
            LearningRate = Eta, K = 2, HessianTolerance = 1e-12, Kinds = ProbeKinds.Hessian,
        });
        using var point = net.Fast();
        var r = suite.Run(point, 0);
        Assert.True(double.IsNaN(r["ntk_1"]), "the NTK is not solved");
        Close(suite.LastSharpness!.Value, Eta * Descending(Explicit.Of(net).H).Values[0], 1e-9, "η·λ₁(H), so --probe-above works");
    }

    [Fact]
    public void ThePreconditionedNtkIsTheSpectrumOfJPInverseJTransposedOverN()
    {
        using var net = new TinyNetwork(n: 5);
        var dense = Explicit.Of(net);
        var diagonal = Enumerable.Range(0, dense.J.ColumnCount).Select(i => 0.3 + 1.9 * ((i * 104729) % 97) / 97.0).ToArray();
        var inverse = Matrix<double>.Build.DiagonalOfDiagonalArray(diagonal.Select(d => 1 / d).ToArray());
        var expected = Descending(dense.J * inverse * dense.J.Transpose() / net.N).Values;
        var options = new ProbeOptions
        {
            LearningRate = Eta, K = 2, Tolerance = 1e-12, HessianTolerance = 1e-12, MaxIterations = 300, Threshold = 38 / Eta,
            GradientDescent = false, Kinds = ProbeKinds.Ntk,
        };
        foreach (var generic in new[] { false, true })
        {
            using var suite = new ProbeSuite(options);
            using var p = tensor(diagonal, float64);
            foreach (int step in new[] { 0, 10 })          // cold by Lanczos, then warm by the deflated Davidson solve
            {
                using IDifferentiablePoint point = generic ? net.Generic() : net.Fast();
                var r = suite.Run(point, step, preconditioner: p);
                Close(r["eff_ntk_1"], expected[0], 1e-9, $"λ₁(J P⁻¹ Jᵀ/n), step {step}");
                Close(r["eff_ntk_2"], expected[1], 1e-9, $"λ₂(J P⁻¹ Jᵀ/n), step {step}");
                Close(r["ntk_1"], Descending(dense.K).Values[0], 1e-9, "the plain NTK beside it");
                Assert.True(r["eff_ntk_iters"] > 0 && r["eff_ntk_resid"] <= 1e-12);
                Assert.Equal(step == 0 ? 0 : 1, r["eff_ntk_deflation_iters"] > 0 ? 1 : 0);
            }
        }
        using var gd = new ProbeSuite(options with { Threshold = null, GradientDescent = true });
        using var fast = net.Fast();
        var plain = gd.Run(fast, 0);
        Assert.Equal(plain["ntk_1"], plain["eff_ntk_1"]);
        Assert.Equal(plain["ntk_2"], plain["eff_ntk_2"]);
        Assert.True(double.IsNaN(plain["eff_ntk_iters"]), "P = I: nothing more is solved");
    }

    [Fact]
    public void SparseProbesStartFromTheTrendOfTheLastTwoAndMatchTheDenseSpectra()
    {
        using var net = new TinyNetwork(n: 6);
        var options = new ProbeOptions
        {
            LearningRate = Eta, K = 2, Tolerance = 1e-12, HessianTolerance = 1e-12, QTolerance = 1e-12, MaxIterations = 200,
            Kinds = ProbeKinds.Ntk | ProbeKinds.Hessian,
        };
        using var suite = new ProbeSuite(options);
        var lags = new List<double>();
        int[] steps = [0, 5, 10, 15, 17];
        foreach (int step in steps)
        {
            var dense = Explicit.Of(net);
            using var point = net.Fast();
            var r = suite.Run(point, step);
            lags.Add(r["warm_lag"]);
            var (kValues, _) = Descending(dense.K);
            var (hValues, _) = Descending(dense.H);
            Close(r["ntk_1"], kValues[0], 1e-9, $"NTK λ₁ at step {step}");
            Close(r["ntk_2"], kValues[1], 1e-9, $"NTK λ₂ at step {step}");
            Close(r["hess_1"], hValues[0], 1e-9, $"Hessian λ₁ at step {step}");
            Close(r["hess_2"], hValues[1], 1e-9, $"Hessian λ₂ at step {step}");
            for (int k = 0; k < 5; k++)          // GD moves θ between the probes (the last gap's length does not matter)
                using (var moving = net.Fast())
                    DifferentiablePointTests.Shift(net.Model, moving.JacobianTransposed(moving.Residual) * (-Eta / net.N));
        }
        // Cold, then the last probe, then the trend of the last two 5 steps apart; a probe 2 steps after a 5-step gap
        // is not on that trend: the last probe.
        Assert.Equal([0, 1, 3, 3, 1], lags);
    }

    [Fact]
    public void ProbesOfTheFastAndGenericPointsAreTheSame()
    {
        using var net = new TinyNetwork(n: 4);
        using var a = Suite();
        using var b = Suite();
        using var fast = net.Fast();
        using var generic = net.Generic();
        var ra = a.Run(fast, 0);
        var rb = b.Run(generic, 0);
        bool Compared(string key) =>
            !key.EndsWith("_iters", StringComparison.Ordinal) && !key.EndsWith("_resid", StringComparison.Ordinal) && key != "probe_seconds";
        foreach (var (column, value) in ra.Values.Where(p => Compared(p.Key)))
            Close(rb[column], value, 1e-8, column);
    }

    [Fact]
    public void MemoryStaysFlatOverManyProbes()
    {
        using var net = new TinyNetwork(n: 4);
        using var suite = Suite(k: 2);
        long Live() { GC.Collect(); GC.WaitForPendingFinalizers(); return DisposeScopeManager.Statistics.ThreadTotalLiveCount; }
        for (int step = 0; step < 4; step++)            // the warm-start history holds four probes when full
            using (var p = net.Fast()) suite.Run(p, step);
        long before = Live();
        Assert.True(before > 0, "the live-tensor counter is not counting, so this test could not fail");
        for (int step = 2; step <= 31; step++)
        {
            using var p = net.Fast();
            suite.Run(p, step);
        }
        long after = Live();
        Assert.True(after - before <= 2, $"live tensors grew from {before} to {after} over 30 probes");
    }
}
