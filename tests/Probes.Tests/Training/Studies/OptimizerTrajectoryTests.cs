using QuadraticFit.Models;
using QuadraticFit.Simulation;
using Training.Config;
using Training.Optimizers;
using Training.Studies;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Probes.Tests;

/// <summary>
/// <c>quad simulate --optimizer</c>: GD in parameter space reproduces the D = 1, P = 2 closed-form map; heavy ball on a random
/// model equals its update written out in float64, and its edge is λ₁ of the Hessian by double backward over its threshold.
/// </summary>
public class OptimizerTrajectoryTests
{
    private static Optimizer Of(string name, double lr, double momentum = 0.9) =>
        Optimizer.For(new TrainSettings { Optimizer = name, Lr = lr, Momentum = momentum });

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.25)]
    public void GdInParameterSpaceIsTheClosedFormMapOfTheD1P2Model(double eta)
    {
        var m = D1P2Model.WithEpsilon(0.1, conserved: 0.3);
        var start = new D1P2State(-0.5, 1.5);
        var closed = Trajectory.D1P2(m, start, 60);
        using var model = OptimizerTrajectory.D1P2(m, start, eta);
        var path = OptimizerTrajectory.Run(model, Of("gd", eta), eta, 60);
        Assert.Equal(closed.Count, path.Count);
        for (int t = 0; t < closed.Count; t++)
        {
            Assert.Equal(closed[t].Z, path[t].Z, 1e-11);
            Assert.Equal(closed[t].Sharpness, path[t].Sharpness, 1e-11);
        }
        Assert.True(closed.Select(p => p.Sharpness).Max() > 2, "the comparison should cover the unstable region");
    }

    [Fact]
    public void HeavyBallOnARandomModelEqualsItsUpdateWrittenOutAndItsEdgeIsTheHessiansOverTheThreshold()
    {
        const double eta = 0.05, beta = 0.7;
        var (sigmaZ, sigmaJ) = QuadraticModel.Rescaled(1.0, 0.5, 6, 9);
        using var model = QuadraticModel.Random(6, 9, sigmaZ, sigmaJ, seed: 4);
        var optimizer = Of("momentum", eta, beta);
        var path = OptimizerTrajectory.Run(model, optimizer, eta, 30);
        var theta = model.Theta.data<double>().ToArray();
        var buffer = new double[theta.Length];
        for (int t = 0; t <= 30; t++)
        {
            var leaf = tensor(theta, float64).requires_grad_(true);
            var loss = 0.5 * model.Residual(leaf).pow(2).sum();
            var gradient = torch.autograd.grad([loss], [leaf], retain_graph: true, create_graph: true)[0];
            var hessian = stack(Enumerable.Range(0, theta.Length)
                .Select(i => torch.autograd.grad([gradient[i]], [leaf], retain_graph: true, create_graph: false)[0]).ToArray());
            double top = linalg.eigvalsh(hessian)[-1].item<double>();
            Assert.Equal(loss.item<double>(), path[t].Loss, 1e-13);
            Assert.Equal(top / ((2 + 2 * beta) / eta), path[t].Edge, 1e-11);
            var g = gradient.detach().data<double>().ToArray();
            for (int i = 0; i < theta.Length; i++)
            {
                buffer[i] = t == 0 ? g[i] : beta * buffer[i] + g[i];
                theta[i] -= eta * buffer[i];
            }
        }
        Assert.True(path[^1].Loss < 0.5 * path[0].Loss, "the run should train, so that the comparison says something");
    }

    [Fact]
    public void TheCommandWritesTheEdgeAndRefusesAStartNoThetaHas()
    {
        using var dir = new TempDirectory();
        var (exit, stdout, err) = CommandLineTests.Probes("quad", "simulate", "--model", "d1p2", "--optimizer", "adam", "--lr", "0.01",
            "--steps", "50", "--out", dir.Combine("adam"));
        Assert.True(exit == 0, err);
        var rows = File.ReadAllLines(Path.Combine(dir.Combine("adam"), "trajectory.csv"));
        Assert.Equal("step,z_tilde,eta_lambda_max,loss,edge", rows[0]);
        Assert.All(rows.Skip(1), r => Assert.True(double.TryParse(r.Split(',')[4], System.Globalization.CultureInfo.InvariantCulture, out _)));
        (exit, _, err) = CommandLineTests.Probes("quad", "simulate", "--model", "d1p2", "--optimizer", "momentum", "--t0", "0.1", "--z0", "0.5",
            "--out", dir.Combine("bad"));
        Assert.Equal(2, exit);
        Assert.Contains("no θ of the D = 1, P = 2 model", err);
        Assert.False(Directory.Exists(dir.Combine("bad")));
        (exit, _, err) = CommandLineTests.Probes("quad", "simulate", "--optimizer", "momentum", "--momentum", "1", "--out", dir.Combine("b2"));
        Assert.Equal(2, exit);
        Assert.Contains("momentum must be in [0, 1)", err);
        Assert.Contains("\"optimizer\": \"adam\"", File.ReadAllText(Path.Combine(dir.Combine("adam"), "config.json")));
    }
}
