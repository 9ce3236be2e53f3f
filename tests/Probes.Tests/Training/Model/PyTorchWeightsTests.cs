using Training;
using Training.Model;
using Training.Runs;
using TorchSharp.PyBridge;
using Xunit;
using static TorchSharp.torch;

namespace Probes.Tests;

/// <summary>θ through PyTorch's file formats: exact round trips, and one-line refusals of a wrong architecture.</summary>
public class PyTorchWeightsTests
{
    private static Mlp Network(long seed, int width = 16, ScalarType dtype = ScalarType.Float32) =>
        new(3072, [width, width], 10, Activation.Tanh, seed, dtype, CPU);

    [Theory]
    [InlineData("weights.safetensors", ScalarType.Float32)]
    [InlineData("weights.pt", ScalarType.Float32)]
    [InlineData("weights.safetensors", ScalarType.Float64)]
    [InlineData("weights.pt", ScalarType.Float64)]
    public void ARoundTripThroughTheExportedFileReproducesThetaBitForBit(string file, ScalarType dtype)
    {
        using var dir = new TempDirectory();
        using var run = RunDirectory.Create(dir.Combine("run"));
        using var source = Network(seed: 1, dtype: dtype);
        PyTorchWeights.Write(run, source);
        using var target = Network(seed: 2, dtype: dtype);
        Assert.False(source.parameters().Zip(target.parameters()).All(p => p.First.eq(p.Second).all().item<bool>()),
            "different seeds must differ, or this test could not fail");
        PyTorchWeights.Load(target, run.File(file));
        foreach (var (a, b) in source.parameters().Zip(target.parameters()))
            Assert.True(a.dtype == b.dtype && a.eq(b).all().item<bool>(), "a parameter changed in the round trip");
    }

    [Fact]
    public void TheNamesAreThoseOfPyTorchsSequential()
    {
        using var net = Network(seed: 1);
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"], PyTorchWeights.StateDict(net).Keys);
    }

    [Fact]
    public void AWrongArchitectureIsOneLineAndNoRunDirectory()
    {
        using var cifar = new SyntheticCifar(train: 32, test: 8);
        using var dir = new TempDirectory();
        using (var run = RunDirectory.Create(dir.Combine("narrow")))
        using (var narrow = Network(seed: 1, width: 8))
            PyTorchWeights.Write(run, narrow);
        var (exit, _, err) = CommandLineTests.Probes("train", "--data", cifar.Folder, "--n", "8", "--width", "16", "--steps", "1",
            "--init-weights", Path.Combine(dir.Combine("narrow"), "weights.safetensors"), "--out", dir.Combine("run"));
        Assert.Equal(2, exit);
        Assert.Contains("0.weight has shape [8, 3072], this network needs [16, 3072]", err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.False(Directory.Exists(dir.Combine("run")));

        using var net = Network(seed: 1);
        var dict = PyTorchWeights.StateDict(net);
        dict.Remove("4.bias");
        dict["5.weight"] = zeros(3);
        var odd = dir.Combine("odd.safetensors");
        Safetensors.SaveStateDict(odd, dict);
        var e = Assert.Throws<ProbesError>(() => PyTorchWeights.Load(net, odd));
        Assert.Contains("missing 4.bias; unexpected 5.weight", e.Message);
        File.WriteAllText(dir.Combine("junk.pt"), "not a pickle");
        e = Assert.Throws<ProbesError>(() => PyTorchWeights.Load(net, dir.Combine("junk.pt")));
        Assert.Contains("is not a readable state_dict", e.Message);
    }

    [Fact]
    public void AFinishedRunLeavesItsWeightsForPyTorchAndARunCanStartFromThem()
    {
        using var cifar = new SyntheticCifar(train: 32, test: 8);
        using var dir = new TempDirectory();
        string[] common = ["train", "--data", cifar.Folder, "--n", "8", "--n-test", "0", "--width", "16", "--steps", "3", "--probe-every", "0"];
        Assert.Equal(0, CommandLineTests.Probes([.. common, "--out", dir.Combine("a")]).Exit);
        var weights = Path.Combine(dir.Combine("a"), "weights.pt");
        Assert.True(File.Exists(weights) && File.Exists(Path.Combine(dir.Combine("a"), "weights.safetensors")));
        var (exit, _, err) = CommandLineTests.Probes([.. common, "--init-weights", weights, "--seed", "7", "--out", dir.Combine("b")]);
        Assert.True(exit == 0, err);
        // b starts at a's final θ: its first loss is a's loss after its three steps would continue from, not a fresh init's.
        var a = File.ReadAllLines(Path.Combine(dir.Combine("a"), "train.csv"));
        var b = File.ReadAllLines(Path.Combine(dir.Combine("b"), "train.csv"));
        Assert.Equal(a[^1].Split(',')[1], b[1].Split(',')[1]);
    }

    [Fact]
    public void ExportWritesTheCheckpointsThetaForPyTorchEvenWhileTheRunIsLocked()
    {
        using var cifar = new SyntheticCifar(train: 32, test: 8);
        using var dir = new TempDirectory();
        string run = dir.Combine("a");
        Assert.Equal(0, CommandLineTests.Probes("train", "--data", cifar.Folder, "--n", "8", "--n-test", "0", "--width", "16", "--steps", "3",
            "--probe-every", "0", "--out", run).Exit);
        using (new FileStream(Path.Combine(run, "run.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var (exit, output, err) = CommandLineTests.Probes("export", run, "--out", dir.Combine("export"), "--json");
            Assert.True(exit == 0, err);
            Assert.Equal(3, System.Text.Json.JsonDocument.Parse(output).RootElement.GetProperty("step").GetInt32());
            // Export takes no lock, so it removes none, whether it succeeds or fails: the holder's lock still refuses a resume.
            File.WriteAllText(dir.Combine("in-the-way"), "");
            Assert.Equal(2, CommandLineTests.Probes("export", run, "--out", Path.Combine(dir.Combine("in-the-way"), "x")).Exit);
            Assert.True(File.Exists(Path.Combine(run, "run.lock")));
            var (resume, _, refusal) = CommandLineTests.Probes("train", "--resume", run, "--steps", "5");
            Assert.Equal(2, resume);
            Assert.Contains("in use by another probes process", refusal);
        }
        // The final checkpoint holds the final θ: the same safetensors, byte for byte, as the run's own weights file, and
        // the pickle (a zip whose entries carry their write time) loads to the same θ bit for bit.
        Assert.Equal(File.ReadAllBytes(Path.Combine(run, "weights.safetensors")),
            File.ReadAllBytes(Path.Combine(dir.Combine("export"), "weights-step-000003.safetensors")));
        using var own = Network(seed: 1);
        using var exported = Network(seed: 2);
        PyTorchWeights.Load(own, Path.Combine(run, "weights.pt"));
        PyTorchWeights.Load(exported, Path.Combine(dir.Combine("export"), "weights-step-000003.pt"));
        Assert.True(own.parameters().Zip(exported.parameters()).All(p => p.First.eq(p.Second).all().item<bool>()));
        var (code, _, error) = CommandLineTests.Probes("export", dir.Combine("absent"));
        Assert.Equal(2, code);
        Assert.Single(error.Trim().Split('\n'));
        // A folder that cannot be made (a file stands in its way): one line, exit 2 as for a run directory, the run as it was.
        var before = Directory.GetFiles(run).ToDictionary(f => f, File.ReadAllBytes);
        File.WriteAllText(dir.Combine("blocker"), "");
        (code, _, error) = CommandLineTests.Probes("export", run, "--out", Path.Combine(dir.Combine("blocker"), "sub"));
        Assert.Equal(2, code);
        Assert.Contains("cannot create", error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.All(before, f => Assert.Equal(f.Value, File.ReadAllBytes(f.Key)));
    }
}
