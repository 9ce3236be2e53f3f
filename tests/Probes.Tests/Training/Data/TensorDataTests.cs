using System.Text.Json.Nodes;
using Training;
using Training.Config;
using Training.Model;
using Training.Train;
using Xunit;
using static TorchSharp.torch;

namespace Probes.Tests;

/// <summary>
/// --data FILE: a researcher's tensors (torch.save by real PyTorch, or safetensors) trained and probed as given, the file's
/// digest recorded, and a malformed file refused in one line before anything is written.
/// </summary>
public class TensorDataTests
{
    private static TrainSettings Small(string data, string outDir) => new()
    {
        Data = data, Out = outDir, N = 12, Width = 6, Depth = 1, Steps = 4, Lr = 0.05, Threads = 1, TestEvery = 2, CheckpointEvery = 2,
        ProbeEvery = 2, ProbeAbove = null, ProbeK = 2, SpectraAt = [], Dtype = "float64",
    };

    [Fact]
    public void APyTorchSavedFileTrainsAndProbesWithItsOwnShapesAndDigest()
    {
        using var dir = new TempDirectory();
        var data = Repository.Fixture("own_labels.pt");
        var settings = Small(data, dir.Combine("run"));
        Assert.Equal((20L, 3), (settings.Features, settings.Outputs));
        Assert.Equal(0, new Trainer(settings).Run());
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Combine("run"), "config.json")))!;
        Assert.Equal(20 * 6 + 6 + 6 * 3 + 3, config["parameters"]!.GetValue<long>());
        var file = config["dataset"]!["files"]![0]!;
        Assert.Equal(Training.Runs.FileDigest.Of(data).Sha256, file["sha256"]!.GetValue<string>());
        Assert.Equal(4, config["dataset"]!["test_count"]!.GetValue<int>());
        var probes = File.ReadAllLines(Path.Combine(dir.Combine("run"), "probes.csv"));
        var header = probes[0].Split(',');
        Assert.True(double.Parse(probes[1].Split(',')[Array.IndexOf(header, "ntk_1")], System.Globalization.CultureInfo.InvariantCulture) > 0);
        var train = File.ReadAllLines(Path.Combine(dir.Combine("run"), "train.csv"));
        Assert.Equal(settings.Steps + 2, train.Length);
        Assert.NotEqual("", train[1].Split(',')[3]);         // test_loss at step 0: x_test and labels_test were read
    }

    [Fact]
    public void SafetensorsTargetsAreUsedAsGiven()
    {
        using var dir = new TempDirectory();
        var g = new Generator(4);
        var x = randn([10, 7], float64, generator: g);
        var y = randn([10, 2], float64, generator: g);
        var path = dir.Combine("regression.safetensors");
        using (var stream = File.Create(path))
            TorchSharp.PyBridge.Safetensors.SaveStateDict(stream, new Dictionary<string, Tensor> { ["x"] = x, ["y"] = y }, leaveOpen: true);
        var settings = Small(path, dir.Combine("run")) with { N = 8, Steps = 0 };
        Assert.Equal(0, new Trainer(settings).Run());
        using var net = new Mlp(7, [6], 2, Activation.Tanh, 0, float64, CPU);
        double expected;
        using (no_grad()) expected = (0.5 * (net.forward(x[..8]) - y[..8]).square().sum() / 8).item<double>();
        var row = File.ReadAllLines(Path.Combine(dir.Combine("run"), "train.csv"))[1].Split(',');
        Assert.Equal(expected, double.Parse(row[1], System.Globalization.CultureInfo.InvariantCulture), 12);
    }

    [Theory]
    [InlineData("no-x", "has no 'x'")]
    [InlineData("float-labels", "must be 10 integer class indices")]
    [InlineData("no-targets", "neither 'y' (targets) nor 'labels'")]
    [InlineData("too-few", "--n 12 asks for more examples than the 10")]
    [InlineData("cnn", "a cnn takes CIFAR-shaped examples")]
    [InlineData("garbage", "is not a readable tensor file")]
    public void AMalformedFileIsOneLineAndNothingIsWritten(string what, string message)
    {
        using var dir = new TempDirectory();
        var g = new Generator(5);
        var path = dir.Combine(what + ".safetensors");
        var tensors = what switch
        {
            "no-x" => new Dictionary<string, Tensor> { ["y"] = randn([10, 2], generator: g) },
            "float-labels" => new() { ["x"] = randn([10, 3], generator: g), ["labels"] = randn([10], generator: g) },
            "no-targets" => new() { ["x"] = randn([10, 3], generator: g) },
            _ => new() { ["x"] = randn([10, 3], generator: g), ["labels"] = randint(0, 2, [10], generator: g) },
        };
        if (what == "garbage") File.WriteAllText(path, "not tensors");
        else using (var stream = File.Create(path)) TorchSharp.PyBridge.Safetensors.SaveStateDict(stream, tensors, leaveOpen: true);
        var settings = Small(path, dir.Combine("run")) with { N = what == "too-few" ? 12 : 8, Arch = what == "cnn" ? "cnn" : "fc" };
        var e = Assert.Throws<ProbesError>(() =>
        {
            SettingsValidator.Validate(settings);
            new Trainer(settings).Run();
        });
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(Directory.Exists(dir.Combine("run")));
    }
}
