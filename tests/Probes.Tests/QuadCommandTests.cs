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
        var (exit, output, err) = CommandLineTests.Probes("quad", "simulate", "--model", "d1p2", "--eps", "0.05", "--steps", "3000", "--out", dir.Combine("s"), "--json");
        Assert.True(exit == 0, err);
        var json = System.Text.Json.JsonDocument.Parse(output).RootElement;
        Assert.InRange(json.GetProperty("finalSharpness").GetDouble() - (2 - 0.05 / 2), -2 * 0.05 * 0.05, 2 * 0.05 * 0.05);   // 2 − ε/2 + O(ε²)
        Assert.True(json.GetProperty("maxSharpness").GetDouble() > 2);
        foreach (var f in new[] { "trajectory.csv", "sharpness.png", "z.png", "loss.png", "two-step.png" })
            Assert.True(File.Exists(Path.Combine(dir.Combine("s"), f)), f);
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

    [Theory]
    [InlineData("unknown model 'd3'", "simulate", "--model", "d3")]
    [InlineData("--eps must be positive", "simulate", "--eps", "-1")]
    [InlineData("is not a range lo:hi", "phase", "--sigma-z", "3:1")]
    [InlineData("--dtype must be float32 or float64", "phase", "--dtype", "int8")]
    public void BadQuadInputIsOneLine(string message, params string[] args)
    {
        using var dir = new TempDirectory();
        var (exit, _, err) = CommandLineTests.Probes(["quad", .. args, "--out", dir.Combine("x")]);
        Assert.Equal(2, exit);
        Assert.Contains(message, err);
        Assert.Single(err.Trim().Split('\n'));
    }
}
