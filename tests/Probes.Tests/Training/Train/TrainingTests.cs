using Training.Config;
using Training.Model;
using Training.Train;
using Xunit;
using static Probes.Tests.Numerics;
using static TorchSharp.torch;

namespace Probes.Tests;

public class TrainingTests
{
    [Fact]
    public void GradientMatchesCentralDifferencesOfTheLoss()
    {
        using var net = new TinyNetwork(n: 5);
        var labels = net.Y.argmax(1);
        GradientDescent.Gradient(net.Model, net.X, net.Y, labels);
        var grad = cat(net.Model.parameters().Select(p => p.grad!.flatten()).ToList()).clone();
        var w = randn([grad.numel()], float64, generator: new Generator(9));
        double h = 1e-5;
        double LossAt(Tensor delta)
        {
            DifferentiablePointTests.Shift(net.Model, delta);
            try { return GradientDescent.Evaluate(net.Model, net.X, net.Y, labels).Loss; }
            finally { DifferentiablePointTests.Shift(net.Model, -delta); }
        }
        double directional = (LossAt(w * h) - LossAt(w * -h)) / (2 * h);
        Close(grad.dot(w).item<double>(), directional, 1e-8, "∇L·w vs finite differences");
    }

    [Fact]
    public void OneStepIsThetaMinusEtaOverNTimesJTransposeZ()
    {
        using var net = new TinyNetwork(n: 5);
        var labels = net.Y.argmax(1);
        Tensor expected;
        using (var point = net.Fast())
        {
            var theta = cat(net.Model.parameters().Select(p => p.detach().flatten()).ToList()).clone();
            expected = theta - point.JacobianTransposed(point.Residual) * (0.1 / net.N);
        }
        GradientDescent.Gradient(net.Model, net.X, net.Y, labels);
        GradientDescent.Step(net.Model, 0.1);
        var after = cat(net.Model.parameters().Select(p => p.detach().flatten()).ToList());
        Close(after, expected, 1e-14, "θ after one GD step");
    }

    [Fact]
    public void Float32AndFloat64StartFromTheSameWeights()
    {
        using var a = new Mlp(12, [7], 3, Activation.Tanh, 5, float32, CPU);
        using var b = new Mlp(12, [7], 3, Activation.Tanh, 5, float64, CPU);
        foreach (var (pa, pb) in a.parameters().Zip(b.parameters()))
            Assert.Equal(0.0, (pa.to(float64) - pb).abs().max().item<double>());
    }

    private static TrainSettings Small(string data, string outDir, int steps = 6) => new()
    {
        Data = data, Out = outDir, N = 24, NTest = 8, Width = 16, Depth = 2, Steps = steps, Lr = 0.05,
        Threads = 1, TestEvery = 2, CheckpointEvery = 4, ProbeAbove = null,
    };

    [Fact]
    public void EndToEndRunWritesEveryFile()
    {
        using var cifar = new SyntheticCifar(train: 32, test: 8);
        using var dir = new TempDirectory();
        var run = dir.Combine("run");
        var settings = Small(cifar.Folder, run) with
        {
            ProbeEvery = 2,
            ProbeK = 2,
            SpectraAt = [2],
            SpectraM = 3,
            ProbeMaxIter = 100,
            SpectraDensity = 2,
            SpectraDensitySteps = 10
        };
        Assert.Equal(0, new Trainer(settings).Run());
        foreach (var file in new[] { "config.json", "log.clef", "log.txt", "train.csv", "probes.csv", "spectra.csv", "model-000006.pt",
            "probe-state-000006.bin", "checkpoint.json" })
            Assert.True(File.Exists(Path.Combine(run, file)), $"{file} missing");
        var train = File.ReadAllLines(Path.Combine(run, "train.csv"));
        Assert.Equal("step,loss,accuracy,test_loss,test_accuracy,grad_norm,param_norm,seconds", train[0]);
        Assert.Equal(settings.Steps + 2, train.Length);            // header + steps 0..Steps
        var probes = File.ReadAllLines(Path.Combine(run, "probes.csv"));
        Assert.Equal(1 + 4, probes.Length);                         // steps 0, 2, 4, 6
        Assert.StartsWith("step,ntk_1,ntk_2,eta_ntk_1,y,z1,z2,z_norm,hess_1,hess_2,q1_max,q1_min,qr_max,qr_min,z1_lin,z1_nl,nl_ratio,z1_nl_full",
            probes[0]);
        var summary = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(run, "summary.json")))!;
        Assert.Equal("completed", summary["status"]!.GetValue<string>());
        Assert.Equal(settings.Steps, summary["step"]!.GetValue<int>());
        Assert.Equal(4, summary["eos"]!["probed_steps"]!.GetValue<int>());
        Assert.True(summary["final"]!["loss"]!.GetValue<double>() > 0);
        var density = File.ReadAllLines(Path.Combine(run, "density.csv"));
        Assert.Equal(1 + 2 * 400, density.Length);                  // q1 and qr at step 2, 400 grid points each
        var config = File.ReadAllText(Path.Combine(run, "config.json"));
        Assert.Contains("\"sha256\"", config);
        Assert.Contains("\"lr\": 0.05", config);
        Assert.Contains("\"git_commit\"", config);
        Assert.Contains("\"probe_every\"", config);            // snake_case, as every file the tool writes
        Assert.DoesNotContain("\"probe-every\"", config);
        Assert.False(File.Exists(Path.Combine(run, "run.lock")));
    }

    [Fact]
    public void SameSeedGivesTheSameTraceAndProbesDoNotChangeIt()
    {
        using var cifar = new SyntheticCifar(train: 32, test: 8);
        using var dir = new TempDirectory();
        new Trainer(Small(cifar.Folder, dir.Combine("a"))).Run();
        new Trainer(Small(cifar.Folder, dir.Combine("b"))).Run();
        new Trainer(Small(cifar.Folder, dir.Combine("c")) with { ProbeEvery = 1, ProbeMaxIter = 100 }).Run();
        // Every column but the wall-clock one, bit for bit.
        string[] Trace(string run) => File.ReadAllLines(Path.Combine(dir.Path, run, "train.csv")).Select(l => l[..l.LastIndexOf(',')]).ToArray();
        Assert.Equal(Trace("a"), Trace("b"));
        Assert.Equal(Trace("a"), Trace("c"));
        var seeded = Small(cifar.Folder, dir.Combine("d")) with { Seed = 1 };
        new Trainer(seeded).Run();
        Assert.NotEqual(Trace("a"), Trace("d"));
    }

    [Fact]
    public void RefusesAnExistingRunDirectory()
    {
        using var cifar = new SyntheticCifar(train: 32, test: 8);
        using var dir = new TempDirectory();
        var settings = Small(cifar.Folder, dir.Combine("run"), steps: 1);
        new Trainer(settings).Run();
        var before = File.ReadAllText(dir.Combine("run/train.csv"));
        var e = Assert.Throws<Training.ProbesError>(() => new Trainer(settings).Run());
        Assert.Contains("already exists", e.Message);
        Assert.Equal(before, File.ReadAllText(dir.Combine("run/train.csv")));
    }

    [Fact]
    public void StopsAtATargetLoss()
    {
        using var cifar = new SyntheticCifar(train: 32, test: 8);
        using var dir = new TempDirectory();
        var settings = Small(cifar.Folder, dir.Combine("run"), steps: 50) with { TargetLoss = 10.0 };
        Assert.Equal(0, new Trainer(settings).Run());
        Assert.Equal(2, File.ReadAllLines(dir.Combine("run/train.csv")).Length);   // header + step 0
    }

    [Fact]
    public void DivergenceStopsWithItsOwnExitCodeAndKeepsTheTraces()
    {
        using var cifar = new SyntheticCifar(train: 32, test: 8);
        using var dir = new TempDirectory();
        var settings = Small(cifar.Folder, dir.Combine("run"), steps: 200) with { Lr = 1e4 };
        Assert.Equal(Training.ExitCodes.Diverged, new Trainer(settings).Run());
        var lines = File.ReadAllLines(dir.Combine("run/train.csv"));
        Assert.True(lines.Length > 2);
        Assert.True(lines[^1].Contains("NaN") || lines[^1].Contains("Infinity"), lines[^1]);
        Assert.Contains("Diverged", File.ReadAllText(dir.Combine("run/log.txt")));
        Assert.Contains("\"status\": \"diverged\"", File.ReadAllText(dir.Combine("run/summary.json")));
    }
}
