using QuadraticFit.Models;
using QuadraticFit.TwoStep;
using Training.Fit;
using Training.Runs;
using Training.Train;
using Xunit;

namespace Probes.Tests;

public class FitTests
{
    [Fact]
    public void D1P2FitRecoversTheModelsOwnParameters()
    {
        const double epsilon = 0.08, scale = 0.25;
        var model = D1P2Model.WithEpsilon(epsilon);
        var path = model.Simulate(new D1P2State(-0.5, 1.5), 400);
        // The "network" sees z₁ = z̃ / scale and η·λ₁ = T(0), from the steps of its EOS phase.
        var steps = Enumerable.Range(0, path.Count).Select(t => (double)t).ToArray();
        var z1 = path.Select(p => p.Z / scale).ToArray();
        var sharpness = path.Select(p => p.T0).ToArray();
        var fit = D1P2Fit.Fit(steps, z1, sharpness, from: 20, to: 300);
        Assert.NotNull(fit);
        Assert.Equal(epsilon, fit!.Epsilon, 1e-4);
        Assert.Equal(scale, fit.ZScale, 1e-4);
        Assert.Equal(2 - epsilon / 2, fit.PredictedLimit, 1e-4);
        Assert.True(fit.Rms < 1e-6, $"rms {fit.Rms}");
    }

    [Fact]
    public void TwoStepFitOfYFindsAnExactLaw()
    {
        // y₊₂ − y = 0.3 z₁² − 2 y z₁² + 0.01, exactly.
        var random = new Random(5);
        int n = 60;
        var steps = Enumerable.Range(0, n).Select(t => (double)t).ToArray();
        var z1 = steps.Select(_ => random.NextDouble() - 0.5).ToArray();
        var y = new double[n];
        y[0] = 0.05; y[1] = -0.02;
        for (int t = 0; t + 2 < n; t++) y[t + 2] = y[t] + 0.01 + 0.3 * z1[t] * z1[t] - 2 * y[t] * z1[t] * z1[t];
        var fit = TwoStepFit.Y(steps, z1, y);
        Assert.NotNull(fit);
        Assert.Equal(0.01, fit!.Coefficients[0], 9);
        Assert.Equal(0.3, fit.Coefficients[1], 9);
        Assert.Equal(-2, fit.Coefficients[2], 9);
        Assert.Equal(1, fit.RSquared, 9);
    }

    [Fact]
    public void TaylorComparisonStartsFromTheRunsOwnThetaAndAgreesAtFirst()
    {
        using var cifar = new SyntheticCifar(train: 32, test: 8);
        using var dir = new TempDirectory();
        var run = dir.Combine("run");
        var settings = new Training.Config.TrainSettings
        {
            Data = cifar.Folder, Out = run, N = 24, NTest = 8, Width = 16, Steps = 12, Lr = 0.005, Threads = 1,
            ProbeEvery = 1, ProbeK = 2, ProbeMaxIter = 80, Dtype = "float64",
        };
        Assert.Equal(0, new Trainer(settings).Run());
        var result = TaylorComparison.Run(run, from: 5, steps: 4);
        var train = RunTraces.Read(run).Train;
        for (int k = 0; k <= 4; k++)
        {
            var row = result.Rows[k];
            Assert.Equal(train["loss"][5 + k], row.NetLoss, 12);        // the replay is the run itself
        }
        Assert.Equal(result.Rows[0].NetLoss, result.Rows[0].TaylorLoss, 14);
        Assert.Equal(result.Rows[0].NetSharpness, result.Rows[0].TaylorSharpness, 9);
        // Second order: after one small step the two differ far less than the step changed the loss.
        double change = Math.Abs(result.Rows[1].NetLoss - result.Rows[0].NetLoss);
        double gap = Math.Abs(result.Rows[1].NetLoss - result.Rows[1].TaylorLoss);
        Assert.True(gap < 1e-2 * change, $"gap {gap:E3} vs change {change:E3}; rows {string.Join(" | ", result.Rows)}");
        Assert.Throws<Training.ProbesError>(() => TaylorComparison.Run(run, from: 50, steps: 2));
    }

    [Fact]
    public void TaylorComparisonOfARunFromInitWeightsReplaysThatRunAndRefusesAChangedFile()
    {
        using var cifar = new SyntheticCifar(train: 32, test: 8);
        using var dir = new TempDirectory();
        var run = dir.Combine("run");
        var settings = new Training.Config.TrainSettings
        {
            Data = cifar.Folder, Out = run, N = 24, NTest = 0, Width = 16, Steps = 8, Lr = 0.005,
            ProbeEvery = 0, Dtype = "float64", InitWeights = dir.Combine("init.safetensors"),
        };
        void WriteInit(long seed)
        {
            using var other = Trainer.Build(settings with { Seed = seed }, TorchSharp.torch.ScalarType.Float64, TorchSharp.torch.CPU);
            Training.Model.PyTorchWeights.Write(other, dir.Combine("init.safetensors"), dir.Combine("init.pt"));
        }
        WriteInit(7);
        Assert.Equal(0, new Trainer(settings).Run());
        var train = RunTraces.Read(run).Train;
        var result = TaylorComparison.Run(run, from: 3, steps: 2);
        for (int k = 0; k <= 2; k++) Assert.Equal(train["loss"][3 + k], result.Rows[k].NetLoss, 12);   // θ₀ from the file, not the seed
        WriteInit(8);
        var error = Assert.Throws<Training.ProbesError>(() => TaylorComparison.Run(run, from: 3, steps: 2));
        Assert.Contains("SHA-256 differs", error.Message);
    }

    [Fact]
    public void FitCommandWritesFitJson()
    {
        using var dir = new TempDirectory();
        var path = SyntheticRun.Write(dir.Combine("run"), 40, t => t < 10 ? 1.9 : 2.03);
        var (exit, output, err) = CommandLineTests.Probes("fit", path, "--json");
        Assert.True(exit == 0, err);
        Assert.True(File.Exists(Path.Combine(path, "fit.json")));
        Assert.Contains("\"two_step_z1\"", output);
        Assert.Contains("\"slope\": 1", output.Replace("0000000", ""));
        (exit, _, err) = CommandLineTests.Probes("report", path);
        Assert.Equal(0, exit);
        Assert.Contains("D = 1, P = 2 model fit", File.ReadAllText(Path.Combine(path, "report.md")));
    }
}
