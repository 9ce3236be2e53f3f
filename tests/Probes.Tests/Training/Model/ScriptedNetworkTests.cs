using Probes.Models;
using Probes.Probing;
using Training;
using Training.Config;
using Training.Model;
using Training.Train;
using Xunit;
using static TorchSharp.torch;

namespace Probes.Tests;

/// <summary>
/// A TorchScript module written by real PyTorch (tests/fixtures/torchscript_fixtures.py, PyTorch 1.13: the fc-tanh network of width 8
/// after torch.manual_seed(0), float64) loads as a network: its parameters under PyTorch's names, θ₀ equal to the built-in
/// network's under the same seed bit for bit, the same outputs, and the same probes.
/// </summary>
public class ScriptedNetworkTests
{
    private static string Fixture => Repository.Fixture("fc_tanh_w8.pt");

    [Fact]
    public void ATorchScriptExportOfThePapersNetworkIsTheBuiltInNetwork()
    {
        var settings = new TrainSettings { Width = 8, Depth = 1, Seed = 0 };
        using var builtIn = Trainer.Build(settings, ScalarType.Float64, CPU);
        using var scripted = ScriptedNetwork.Load(Fixture, null, 3072, 10, ScalarType.Float64, CPU);
        Assert.Equal(builtIn.PyTorchParameters.Select(p => p.Name), scripted.PyTorchParameters.Select(p => p.Name));
        foreach (var ((_, a), (_, b)) in builtIn.PyTorchParameters.Zip(scripted.PyTorchParameters))
            Assert.Equal(a.data<double>().ToArray(), b.data<double>().ToArray());
        Assert.All(scripted.parameters(), p => Assert.True(p.requires_grad));
        var g = new Generator(2);
        var x = randn([6, 3072], float64, generator: g) * 0.1;
        var y = randn([6, 10], float64, generator: g);
        Assert.Equal(builtIn.forward(x).data<double>().ToArray(), scripted.forward(x).data<double>().ToArray());
        var options = new ProbeOptions { LearningRate = 0.05, K = 2, Tolerance = 1e-11, HessianTolerance = 1e-11, QTolerance = 1e-11, QEvery = 1 };
        using var fast = new ProbeSuite(options);
        using var generic = new ProbeSuite(options);
        using var fastPoint = builtIn.Point(x, y, null, SquaredLoss.Instance);
        using var scriptedPoint = scripted.Point(x, y, null, SquaredLoss.Instance);
        var a1 = fast.Run(fastPoint, 0);
        var b1 = generic.Run(scriptedPoint, 0);
        foreach (var column in new[] { "ntk_1", "ntk_2", "z1", "hess_1", "hess_2", "q1_max", "q1_min", "z1_nl", "dz1_next" })
            Assert.True(Math.Abs(a1[column] - b1[column]) <= 1e-9 * Math.Abs(a1[column]), $"{column}: {a1[column]:R} against {b1[column]:R}");
    }

    private static TrainSettings Run(string data, string outDir, int steps, string? model) => new()
    {
        Data = data, Out = outDir, N = 12, NTest = 4, Arch = model is null ? "fc" : "script", Model = model, Width = 8, Depth = 1,
        Dtype = "float64", Steps = steps, Lr = 0.05, Threads = 1, TestEvery = 2, CheckpointEvery = 2, ProbeEvery = 2, ProbeAbove = null,
        ProbeK = 2, ProbeTol = 1e-10, ProbeHessTol = 1e-10, ProbeQTol = 1e-10, SpectraAt = [], ProbeQEvery = 1,
        // The midpoint too: θ moved through autograd's point (full coordinates) against the fast point (the inputs' span).
        Probes = ["ntk", "hessian", "q1", "ratio", "midpoint"],
    };

    [Fact]
    public void TrainingTheTorchScriptExportGivesTheBuiltInNetworksTraces()
    {
        using var cifar = new SyntheticCifar(train: 16, test: 4);
        using var dir = new TempDirectory();
        Assert.Equal(0, new Trainer(Run(cifar.Folder, dir.Combine("fc"), 6, null)).Run());
        Assert.Equal(0, new Trainer(Run(cifar.Folder, dir.Combine("script"), 6, Fixture)).Run());
        foreach (var (file, tolerance) in new[] { ("train.csv", 1e-10), ("probes.csv", 1e-10) })
        {
            var (header, fc) = Table(Path.Combine(dir.Combine("fc"), file));
            var (_, script) = Table(Path.Combine(dir.Combine("script"), file));
            Assert.Equal(fc.Count, script.Count);
            int compared = 0;
            for (int c = 0; c < header.Length; c++)
            {
                // Wall times, solver costs and warm starts differ: the fast point works in the inputs' span, autograd in full.
                if (header[c] is "seconds" or "probe_seconds" or "selfstab_seconds" or "warm_lag"
                    || header[c].EndsWith("_iters", StringComparison.Ordinal) || header[c].EndsWith("_resid", StringComparison.Ordinal)) continue;
                for (int row = 0; row < fc.Count; row++)
                {
                    double a = fc[row][c], b = script[row][c];
                    Assert.True(double.IsNaN(a) == double.IsNaN(b), $"{file} {header[c]} row {row}: {a} against {b}");
                    if (double.IsNaN(a)) continue;
                    Assert.True(Math.Abs(a - b) <= tolerance * Math.Max(Math.Abs(a), 1e-3), $"{file} {header[c]} row {row}: {a:R} against {b:R}");
                    compared++;
                }
            }
            Assert.True(compared > 20, $"{file}: {compared} values compared");
            if (file == "probes.csv") Assert.Contains("edge_mid", header);
        }
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Combine("script"), "config.json")))!;
        Assert.Equal(Training.Runs.FileDigest.Of(Fixture).Sha256, config["model_file"]!["sha256"]!.GetValue<string>());
    }

    /// <summary>In child processes, as ResumeTests: the thread count a run sets is the process's, which parallel test classes share.</summary>
    [Fact]
    public void AScriptedRunKilledAndResumedGivesTheSameBytesAndRefusesAChangedModelFile()
    {
        using var cifar = new SyntheticCifar(train: 16, test: 4);
        using var dir = new TempDirectory();
        var copy = dir.Combine("model.pt");
        File.Copy(Fixture, copy);
        string[] Args(string run) => ["train", "--data", cifar.Folder, "--out", run, "--n", "12", "--n-test", "4", "--model", copy,
            "--dtype", "float64", "--steps", "6", "--lr", "0.05", "--threads", "1", "--checkpoint-every", "2", "--probe-every", "2",
            "--spectra-at", "", "--probe-window", ""];
        Assert.Equal(0, ResumeTests.RunToEnd(Args(dir.Combine("straight"))));
        Assert.NotEqual(0, ResumeTests.RunToEnd(Args(dir.Combine("resumed")), crashAt: "step:5"));
        Assert.Equal(0, ResumeTests.RunToEnd(["train", "--resume", dir.Combine("resumed")]));
        foreach (var file in new[] { "train.csv", "probes.csv" })
            Assert.Equal(Repository.WithoutWallTimes(File.ReadAllLines(Path.Combine(dir.Combine("straight"), file))),
                Repository.WithoutWallTimes(File.ReadAllLines(Path.Combine(dir.Combine("resumed"), file))));
        File.AppendAllText(copy, " ");
        var before = File.ReadAllText(Path.Combine(dir.Combine("resumed"), "train.csv"));
        var e = Assert.Throws<ProbesError>(() => Trainer.Resume(dir.Combine("resumed"), 8));
        Assert.Contains("changed since it started", e.Message);
        Assert.Equal(before, File.ReadAllText(Path.Combine(dir.Combine("resumed"), "train.csv")));
    }

    [Theory]
    [InlineData("not-torchscript", "is not a TorchScript module")]
    [InlineData("wrong_outputs.pt", "gives outputs of shape [2, 3]")]
    [InlineData("frozen_bias.pt", "parameter 'linear.bias' does not require grad")]
    [InlineData("dropout_training.pt", "two forward passes at the same θ differ")]
    [InlineData("batchnorm_training.pt", "changes buffer 'after.running_mean'")]
    [InlineData("shape", "does not take inputs of shape [2, 3, 32, 32]")]
    public void AModuleTheProbesCannotUseIsRefusedBeforeAnythingIsWritten(string fixture, string message)
    {
        using var cifar = new SyntheticCifar(train: 16, test: 4);
        using var dir = new TempDirectory();
        string model = fixture switch
        {
            "not-torchscript" => dir.Combine("weights.pt"),
            "shape" => Fixture,
            _ => Repository.Fixture(fixture),
        };
        if (fixture == "not-torchscript") File.WriteAllText(model, "not a zip archive");
        var settings = Run(cifar.Folder, dir.Combine("run"), 2, model) with { Dtype = "float32", InputShape = fixture == "shape" ? "3,32,32" : null };
        var e = Assert.Throws<ProbesError>(() => new Trainer(settings).Run());
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(Directory.Exists(dir.Combine("run")));
    }

    private static (string[] Header, List<double[]> Rows) Table(string path)
    {
        var lines = File.ReadAllLines(path);
        return (lines[0].Split(','), [.. lines.Skip(1).Select(l => l.Split(',').Select(v => v.Length == 0 ? double.NaN
            : double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray())]);
    }

}
