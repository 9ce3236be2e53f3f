using System.Globalization;
using QuadraticFit.Models;
using QuadraticFit.Simulation;
using Xunit;
using static TorchSharp.torch;

namespace Probes.Tests;

public class QuadCommandTests
{
    [Fact]
    public void SimulateD1P2PrintsTheTheorem31Limit()
    {
        using var dir = new TempDirectory();
        var (exit, output, err) = CommandLineTests.Probes("quad", "simulate", "--model", "d1p2", "--eps", "0.05", "--steps", "3000", "--out",
            dir.Combine("s"), "--json");
        Assert.True(exit == 0, err);
        var json = System.Text.Json.JsonDocument.Parse(output).RootElement;
        Assert.InRange(json.GetProperty("final_sharpness").GetDouble() - (2 - 0.05 / 2), -2 * 0.05 * 0.05, 2 * 0.05 * 0.05);   // 2 − ε/2 + O(ε²)
        Assert.True(json.GetProperty("max_sharpness").GetDouble() > 2);
        foreach (var f in new[] { "trajectory.csv", "sharpness.png", "z.png", "loss.png", "two-step.png", "two-step-plane.png", "two-step-zy.png" })
            Assert.True(File.Exists(Path.Combine(dir.Combine("s"), f)), f);
        // The two-step fit uses the paper's y = T(0) − f_z̃(z̃): z̃ₜ₊₂ − z̃ₜ ≈ 2yz̃ with slope near 1 (1.08 measured; y = T(0) − 2
        // would not follow the law off z̃ = 0).
        var fit = json.GetProperty("two_step");
        Assert.InRange(fit.GetProperty("slope").GetDouble(), 0.95, 1.15);
        Assert.True(fit.GetProperty("r_squared").GetDouble() > 0.97);
        // The directory records what made it: every option as used, defaults included.
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Combine("s"), "config.json")))!;
        Assert.Equal("probes quad simulate", config["command"]!.GetValue<string>());
        Assert.Equal(0.05, config["quad"]!["eps"]!.GetValue<double>());
        Assert.Equal(-0.5, config["quad"]!["z0"]!.GetValue<double>());
        Assert.Equal(3000, config["quad"]!["steps"]!.GetValue<int>());
    }

    /// <summary>Each figure of `quad figure N`: its files, and the caption's claim in the numbers it writes.</summary>
    [Theory]
    [InlineData(1, "figure1-every-step.png,figure1-every-other-step.png,figure1-curvature.png,figure1-path.csv")]
    [InlineData(2, "figure2-left.png,figure2-left.csv")]
    [InlineData(3, "figure3-loss.png,figure3-sharpness.png,figure3.csv")]
    [InlineData(7, "figure7-portrait-e0.png,figure7-portrait-e0.5.png,figure7-finals-e0.png,figure7-finals-e0.5.csv")]
    [InlineData(8, "figure8-left.png,figure8-right.png,figure8-left-nullclines.csv")]
    [InlineData(9, "figure9-left.png,figure9-right.png,figure9-finals.csv,figure9-left-nullclines.csv")]
    public void EachPaperFigureIsOneCommandWithItsDataAndNumbers(int figure, string files)
    {
        using var dir = new TempDirectory();
        string output = dir.Combine("f");
        var (exit, stdout, err) = CommandLineTests.Probes("quad", "figure", figure.ToString(CultureInfo.InvariantCulture), "--out", output, "--json");
        Assert.True(exit == 0, err);
        foreach (var f in files.Split(',').Append("figure.json"))
            Assert.True(File.Exists(Path.Combine(output, f)) && new FileInfo(Path.Combine(output, f)).Length > 0, f);
        var numbers = System.Text.Json.JsonDocument.Parse(stdout).RootElement.GetProperty("numbers");
        double N(string name) => numbers.GetProperty(name).GetDouble();
        switch (figure)
        {
            case 1:          // the catapult lowers T(0), then GD sharpens it back to the EOS limit 2 − ε/2 + O(ε²)
                Assert.True(N("lowest_t0") < N("initial_t0") - 0.5);
                Assert.InRange(N("final_t0"), N("lowest_t0") + 0.2, 2.0);
                Assert.InRange(N("final_t0") - N("theorem_limit"), -0.02, 0.0);
                break;
            case 2:          // every η settles at η·λ = 2 − ε/2 + O(ε²), i.e. λ_max at 2/η
                foreach (var eta in new[] { "0.9", "1", "1.1", "1.2" })
                    Assert.InRange(N($"final_eta_lambda_at_eta_{eta}") - N("theorem_limit"), -2e-3, 2e-3);
                break;
            case 3:          // small σ̃_z: monotone loss, little sharpening; larger: a higher final η·λ_max, EOS past 2 and back
                Assert.Equal(1, N("loss_monotone_sz0.05"));
                Assert.True(N("final_sharpness_sz0.05") < N("final_sharpness_sz0.1") && N("final_sharpness_sz0.1") < N("final_sharpness_sz0.2"));
                Assert.True(N("max_sharpness_sz0.35") > 2.2);
                Assert.InRange(N("final_sharpness_sz0.35"), 1.9, 2.0);
                break;
            case 7:          // Ẽ = 0: no sharpening at all; Ẽ ≠ 0: a small region sharpens; no EOS clustering near 2 either way
                Assert.Equal(0, N("sharpened_fraction_e0"));
                Assert.InRange(N("sharpened_fraction_e0.5"), 0.01, 0.3);
                Assert.True(N("near_edge_fraction_e0") < 0.05 && N("near_edge_fraction_e0.5") < 0.05);
                break;
            case 8:          // a < −1 (both eigenvalues positive): a smaller allowed region
                Assert.True(N("reachable_fraction_a-2") < N("reachable_fraction_a10"));
                break;
            case 9:          // the two nullclines nearly coincide; the final T(0) of random starts peaks just below 2
                Assert.True(N("largest_nullcline_gap") < 0.05);
                Assert.True(N("near_edge_fraction_of_converged") > 0.25);
                break;
        }
    }

    [Fact]
    public void AFigureThePaperDrawsElsewhereIsOneLineAndExit2()
    {
        var (exit, _, err) = CommandLineTests.Probes("quad", "figure", "4");
        Assert.Equal(2, exit);
        Assert.Contains("Figure 4 is `probes quad phase`", err);
        Assert.Single(err.Trim().Split('\n'));
        // An output folder that cannot be made: one line, exit 2, as for any run directory.
        using var dir = new TempDirectory();
        File.WriteAllText(dir.Combine("blocker"), "");
        (exit, _, err) = CommandLineTests.Probes("quad", "figure", "9", "--out", Path.Combine(dir.Combine("blocker"), "f"));
        Assert.Equal(2, exit);
        Assert.Contains("cannot create run directory", err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public void RandomTrajectoryMatchesParameterSpaceGradientDescent()
    {
        var (sz, sj) = QuadraticModel.Rescaled(0.3, 0.4, 10, 20);
        using var model = QuadraticModel.Random(10, 20, sz, sj, seed: 3);
        var path = Trajectory.Random(model, eta: 1.0, steps: 30);
        Assert.Equal(31, path.Count);
        for (int t = 0; t < 30; t++) model.ParameterStep(1.0);
        var j = model.Jacobian(model.Theta);
        Assert.Equal(linalg.eigvalsh(j.matmul(j.t())).max().item<double>(), path[^1].Sharpness, 9);
        Assert.Equal(0.5 * model.Residual(model.Theta).pow(2).sum().item<double>(), path[^1].Loss, 12);
    }

    [Fact]
    public void PhaseDiagramAgreesWithSingleModelRunsAndShowsSharpening()
    {
        double[] zs = [0.02, 0.5], js = [0.1, 0.3];
        var cells = PhaseDiagram.Run(12, 24, zs, js, seeds: 3, steps: 60, eta: 1.0, float64);
        Assert.Equal(4, cells.Count);
        // Cell (σ̃_z = 0.5, σ̃_J = 0.3), seed 1, recomputed alone through the general model's trajectory.
        var (sz, sj) = QuadraticModel.Rescaled(0.5, 0.3, 12, 24);
        var finals = Enumerable.Range(0, 3).Select(seed =>
        {
            var g = new Generator((ulong)seed);
            var xi = randn([12], float64, generator: g);
            var gamma = randn([12, 24], float64, generator: g);
            var a = randn([12, 24, 24], float64, generator: g);
            using var m = new QuadraticModel(xi * sz, gamma * sj, (a + a.transpose(1, 2)) / Math.Sqrt(2));
            return Trajectory.Random(m, 1.0, 60)[^1].Sharpness;
        }).ToArray();
        Assert.Equal(PhaseDiagram.Median(finals), cells[3].MedianSharpness, 9);
        // Larger σ̃_z drives more sharpening from the same start (progressive sharpening, §4).
        Assert.True(cells[3].MedianSharpness - cells[3].MedianInitialSharpness > cells[1].MedianSharpness - cells[1].MedianInitialSharpness);
    }

    [Fact]
    public void AConvergedCellLeavesTheBatchEarlyWithTheValueOfItsFullRun()
    {
        // A fixed horizon of 1,000 steps at small σ̃_z: the loss falls below 1e-20 long before, so the cell leaves
        // the batch at a check (median steps < 1,000), and its η·λ_max is still that of running all 1,000 steps alone.
        double[] zs = [0.02], js = [0.6];
        var cells = PhaseDiagram.Run(8, 16, zs, js, seeds: 3, steps: 1000, eta: 1.0, float64);
        Assert.InRange(cells[0].MedianSteps, 100, 900);
        var (sz, sj) = QuadraticModel.Rescaled(0.02, 0.6, 8, 16);
        var finals = Enumerable.Range(0, 3).Select(seed =>
        {
            using var m = QuadraticModel.Random(8, 16, sz, sj, seed);
            var path = Trajectory.Random(m, 1.0, 1000);
            Assert.True(path[^1].Loss < 1e-20, $"seed {seed} did not converge: loss {path[^1].Loss}");
            return path[^1].Sharpness;
        }).ToArray();
        Assert.Equal(PhaseDiagram.Median(finals), cells[0].MedianSharpness, 1e-10);
    }

    [Fact]
    public void PhaseDiagramRunsUntilTheCellsSettleAndMarksDivergedCells()
    {
        double[] zs = [0.2, 20], js = [0.3];
        var stopping = new PhaseStopping(MaxSteps: 4000, Tolerance: 1e-5);
        var cells = PhaseDiagram.Run(12, 24, zs, js, seeds: 3, stopping, eta: 1.0, float64);
        var (settled, diverged) = (cells[0], cells[1]);
        Assert.False(settled.Diverged);
        Assert.True(settled.UnsettledFraction == 0, settled.ToString());
        Assert.InRange(settled.MedianSteps, 100, 3999);
        Assert.True(diverged.Diverged && diverged.DivergedFraction > 0.5, $"σ̃_z = 20 should diverge: {diverged}");
        // A settled cell's value is final: the same seeds run four times as long move it by less than 1e-4.
        var (sz, sj) = QuadraticModel.Rescaled(0.2, 0.3, 12, 24);
        var longer = Enumerable.Range(0, 3).Select(seed =>
        {
            using var m = QuadraticModel.Random(12, 24, sz, sj, seed);
            return Trajectory.Random(m, 1.0, (int)(4 * settled.MedianSteps))[^1].Sharpness;
        }).ToArray();
        Assert.Equal(PhaseDiagram.Median(longer), settled.MedianSharpness, 1e-4);
    }

    [Theory]
    [InlineData("unknown model 'd3'", "simulate", "--model", "d3")]
    [InlineData("--eps must be positive", "simulate", "--eps", "-1")]
    [InlineData("is not a range lo:hi", "phase", "--sigma-z", "3:1")]
    [InlineData("--dtype must be float32 or float64", "phase", "--dtype", "int8")]
    [InlineData("--q-convention: unknown Q convention 'gue' (goe or iid).", "phase", "--q-convention", "gue")]
    [InlineData("--q-convention: unknown Q convention 'x' (goe or iid).", "sharpening", "--q-convention", "x")]
    [InlineData("--q-convention: unknown Q convention '' (goe or iid).", "nonlinearity", "--q-convention", "")]
    [InlineData("'4x8' is not D:P", "sharpening", "--sizes", "4x8")]
    [InlineData("'-1' is not a positive number", "sharpening", "--sigma-z", "0.5,-1")]
    [InlineData("--seeds must be at least 2", "nonlinearity", "--seeds", "1")]
    [InlineData("RK4 needs it ≤ 0.1: raise --flow-steps", "sharpening", "--flow-time", "3", "--flow-steps", "10")]
    [InlineData("a random model needs 2235.2 GiB (Q is D × P × P)", "sharpening", "--sizes", "1000:10000")]
    [InlineData("a random model needs", "simulate", "--model", "random", "--D", "1000", "--P", "10000")]
    [InlineData("'0' is not a positive number", "nonlinearity", "--lr", "0")]
    public void BadQuadInputIsOneLine(string message, params string[] args)
    {
        using var dir = new TempDirectory();
        var (exit, _, err) = CommandLineTests.Probes(["quad", .. args, "--out", dir.Combine("x")]);
        Assert.Equal(2, exit);
        Assert.Contains(message, err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public void ADivergingSimulationSaysSoWithExit3AndKeepsItsTrajectory()
    {
        using var dir = new TempDirectory();
        var (exit, _, err) = CommandLineTests.Probes("quad", "simulate", "--model", "d1p2", "--eps", "2", "--steps", "100", "--out",
            dir.Combine("s"));
        Assert.Equal(3, exit);
        Assert.Contains("d1p2 diverged at step", err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.True(File.ReadAllLines(Path.Combine(dir.Combine("s"), "trajectory.csv")).Length > 8,
            "the trajectory up to and past the blow-up is kept");
    }

    [Fact]
    public void SharpeningSeriesWritesPointsFlowsAndFiguresAndSharpens()
    {
        using var dir = new TempDirectory();
        var (exit, output, err) = CommandLineTests.Probes("quad", "sharpening", "--sizes", "4:8,8:16", "--sigma-z", "0.5,1", "--seeds", "60",
            "--flow-time", "0.1", "--flow-steps", "5", "--flow-seeds", "10", "--out", dir.Combine("s"), "--json");
        Assert.True(exit == 0, err);
        var json = System.Text.Json.JsonDocument.Parse(output).RootElement;
        var coefficients = json.GetProperty("coefficients").EnumerateArray().ToList();
        Assert.Equal(2, coefficients.Count);
        foreach (var c in coefficients)
        {
            double measured = c.GetProperty("measured").GetProperty("mean").GetDouble(),
                se = c.GetProperty("measured").GetProperty("standard_error").GetDouble();
            Assert.True(measured > 3 * se, $"no significant sharpening: {measured} ± {se}");
            Assert.Equal(4.0, c.GetProperty("limit").GetDouble());
        }
        var rows = File.ReadAllLines(Path.Combine(dir.Combine("s"), "sharpening.csv"));
        Assert.StartsWith("D,P,sigma_z_tilde,sigma_j_tilde,ratio,ratio_se,predicted,predicted_se,limit", rows[0]);
        Assert.Equal(1 + 4, rows.Length);
        Assert.Equal(1 + 2 * 6, File.ReadAllLines(Path.Combine(dir.Combine("s"), "flow.csv")).Length);
        foreach (var f in new[] { "sharpening.png", "sharpening-by-size.png", "flow.png" })
            Assert.True(File.Exists(Path.Combine(dir.Combine("s"), f)), f);
    }

    [Fact]
    public void NonlinearityCommandRecoversTheLinearLawInSigmaZAndEta()
    {
        using var dir = new TempDirectory();
        var (exit, output, err) = CommandLineTests.Probes("quad", "nonlinearity", "--D", "10", "--P", "20", "--sigma-z", "0.5,1,2",
            "--sigma-j", "0.5,1", "--lr", "0.5,1", "--seeds", "40", "--out", dir.Combine("n"), "--json");
        Assert.True(exit == 0, err);
        var law = System.Text.Json.JsonDocument.Parse(output).RootElement.GetProperty("power_law");
        // Independent seeds per point: the exponents carry Monte Carlo error, so compare within 4 standard errors.
        foreach (var (name, expected) in new[] { ("sigma_z", 1.0), ("eta", 1.0), ("sigma_j", 0.0) })
        {
            var e = law.GetProperty(name);
            double value = e.GetProperty("value").GetDouble(), se = e.GetProperty("standard_error").GetDouble();
            Assert.InRange(value, expected - 4 * se - 1e-9, expected + 4 * se + 1e-9);
            Assert.True(se < 0.1, $"{name}: too noisy to tell ({se})");
        }
        Assert.Equal(1 + 3 * 2 * 2, File.ReadAllLines(Path.Combine(dir.Combine("n"), "nonlinearity.csv")).Length);
        Assert.True(File.Exists(Path.Combine(dir.Combine("n"), "nonlinearity.png")));
    }
}
