using System.Text.Json.Nodes;
using Training;
using Training.Config;
using Xunit;

namespace Probes.Tests;

/// <summary>
/// Values that pass a sign check but cannot run (a basis too small, a network larger than the machine, a thread pool
/// libgomp aborts on, a step size float32 cannot hold, a fraction above 1): each numeric setting with its impossible
/// values is refused by the resolver or the runnability check, one line, before a run directory exists.
/// </summary>
public class ImpossibleSettingsTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>Each setting and its impossible values (with the other settings at their defaults).</summary>
    private static readonly (string Key, JsonNode Value)[] Cases =
    [
        ("width", 2147483647), ("width", 1000000), ("n", 2147483647), ("depth", 100000),
        ("threads", 2147483647), ("threads", 100000), ("threads", 0),
        ("lr", 1e39), ("lr", 1e-320), ("lr", 1e-39), ("lr", 0), ("lr", -1),
        ("target_accuracy", 5), ("target_accuracy", -0.5), ("target_loss", -1),
        ("probe_k", 65), ("probe_k", 2147483647), ("spectra_m", 100000), ("spectra_density", 100000000),
        ("spectra_density_steps", 1000000), ("probe_max_iter", 1), ("probe_deflate", -1), ("test_every", 0),
    ];

    [Fact]
    public void EveryImpossibleValueIsRefusedBeforeARunDirectoryExists()
    {
        var failures = new List<string>();
        foreach (var (key, value) in Cases)
        {
            try
            {
                var settings = SettingsResolver.Resolve(null, new JsonObject { [key] = value.DeepClone() });
                SettingsValidator.RequireRunnable(settings);
                failures.Add($"{key} = {value}: accepted");
            }
            catch (ProbesError e) when (!e.Message.Contains('\n'))
            {
                output.WriteLine($"{key,-22} {value,-12} {e.Message}");
            }
        }
        // The float64 limits are float64's: 1e-39 is an ordinary float64 step size.
        SettingsValidator.RequireRunnable(SettingsResolver.Resolve(null, new JsonObject { ["lr"] = 1e-39, ["dtype"] = "float64" }));
        Assert.Throws<ProbesError>(() => SettingsResolver.Resolve(null, new JsonObject { ["lr"] = 1e-320, ["dtype"] = "float64" }));
        // What the paper's preset asks for fits this machine (the check is a lower bound, not a guess that refuses real runs).
        SettingsValidator.RequireRunnable(SettingsResolver.Resolve(null, new JsonObject { ["preset"] = "paper" }));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void TheMemoryNeededCountsTheOptimizersBuffersAndThePreconditionedHessiansVectors()
    {
        TrainSettings With(string optimizer) => SettingsResolver.Resolve(null, new JsonObject { ["optimizer"] = optimizer });
        var (gd, gdBasis, gdBuffers) = SettingsValidator.Need(With("gd"));
        double p = SettingsValidator.ParameterCount(With("gd"));
        var s = With("adam");
        Assert.Equal((0, 1, 1, 2), (gdBuffers, SettingsValidator.Need(With("momentum")).OptimizerBuffers,
            SettingsValidator.Need(With("rmsprop")).OptimizerBuffers, SettingsValidator.Need(s).OptimizerBuffers));
        // Adam: two float32 moments, and P⁻¹H's 4k warm-start vectors and its deflation space in float64.
        int extra = 4 * s.ProbeK + s.ProbeDeflate;
        Assert.Equal(gdBasis + extra, SettingsValidator.Need(s).ProbeVectors);
        Assert.Equal(gd + p * (2 * 4 + 8 * extra), SettingsValidator.Need(s).Bytes, 6);
        Assert.Equal(gd + p * 4, SettingsValidator.Need(With("momentum")).Bytes, 6);
    }

    [Theory]
    [InlineData("--probe-k", "17")]
    [InlineData("--probe-k", "40")]
    public void ProbeKAboveTheDefaultBasisRuns(string flag, string value)
    {
        // k > 16 once overflowed Lanczos's default basis of 64 (an internal error); the suite now sizes the basis to k.
        using var cifar = new SyntheticCifar(train: 32, test: 0);
        using var dir = new TempDirectory();
        var (exit, _, err) = CommandLineTests.Probes("train", "--data", cifar.Folder, "--n", "8", "--n-test", "0", "--width", "8", "--steps",
            "1", "--probe-every", "1", "--probes", "ntk", flag, value, "--probe-max-iter", "200", "--out", dir.Combine("run"));
        Assert.True(exit == 0, err);
        var header = File.ReadLines(dir.Combine("run/probes.csv")).First().Split(',');
        Assert.Contains($"ntk_{value}", header);
    }

    [Theory]
    [InlineData("--width", "2147483647")]
    [InlineData("--threads", "2147483647")]
    [InlineData("--lr", "1e39")]
    [InlineData("--target-accuracy", "5")]
    public void OnTheCommandLineAnImpossibleValueIsOneLineAndNoRunDirectory(string flag, string value)
    {
        using var cifar = new SyntheticCifar(train: 32, test: 0);
        using var dir = new TempDirectory();
        var (exit, _, err) = CommandLineTests.Probes("train", "--data", cifar.Folder, "--n", "8", "--steps", "1", flag, value, "--out",
            dir.Combine("run"));
        Assert.Equal(2, exit);
        Assert.Single(err.Trim().Split('\n'));
        Assert.False(Directory.Exists(dir.Combine("run")));
    }
}

/// <summary>The memory check's parameter count is the network's own, counted without building it.</summary>
public class ParameterCountTests
{
    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 7)]
    [InlineData(2, 16)]
    [InlineData(3, 5)]
    public void TheFormulaCountsWhatTheNetworkHolds(int depth, int width)
    {
        var s = new TrainSettings { Depth = depth, Width = width };
        using var model = Training.Train.Trainer.Build(s, TorchSharp.torch.ScalarType.Float32, TorchSharp.torch.CPU);
        Assert.Equal(model.ParameterCount, SettingsValidator.ParameterCount(s));
    }
}
