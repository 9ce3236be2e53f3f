using System.Diagnostics;
using Xunit;

namespace Probes.Tests;

/// <summary>The real program as a child process: bad input gets one clear line and a non-zero exit.</summary>
public class CommandLineTests
{
    internal static (int Exit, string Out, string Err) Probes(params string[] args) =>
        Repository.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "probes.dll"), .. args]);

    [Theory]
    [InlineData("unknown preset 'fast'", "--preset", "fast")]
    [InlineData("lr must be a positive number", "--lr", "-0.1")]
    [InlineData("steps must be ≥ 0", "--steps", "-3")]
    [InlineData("n must be positive", "--n", "0")]
    [InlineData("dtype must be float32 or float64", "--dtype", "float16")]
    [InlineData("device must be cpu or cuda", "--device", "tpu")]
    [InlineData("probe-window 5:900 is outside 0..10", "--steps", "10", "--probe-window", "5:900")]
    [InlineData("unknown probe 'curvature'", "--probes", "ntk,curvature")]
    [InlineData("unknown loss 'hinge'", "--loss", "hinge")]
    [InlineData("unknown optimizer 'sgdw'", "--optimizer", "sgdw")]
    [InlineData("probe 'selfstab' needs 'hessian'", "--probes", "ntk,selfstab")]
    [InlineData("probe 'midpoint' needs 'hessian'", "--probes", "ntk,midpoint")]
    [InlineData("probe-k 100 exceeds the NTK's size D = 20", "--n", "2", "--probe-k", "100")]
    [InlineData("probe-deflate must be ≥ 0", "--probe-deflate", "-1")]
    [InlineData("probe-max-iter must be ≥ probe-k + probe-deflate = 14", "--probe-max-iter", "10")]
    [InlineData("--lr must be a finite number, got NaN", "--lr", "NaN")]
    [InlineData("--lr must be a finite number, got Infinity", "--lr", "Infinity")]
    [InlineData("probe-tol must be in (0, 0.01]", "--probe-tol", "2")]
    [InlineData("probe-q-tol must be in (0, 0.01]", "--probe-q-tol", "0")]
    [InlineData("probe-hess-tol must be in (0, 0.01]", "--probe-hess-tol", "0.5")]
    [InlineData("--probe-above must be a finite number", "--probe-above", "NaN")]
    [InlineData("probe-q-every must be ≥ 1", "--probe-q-every", "0")]
    [InlineData("probe-hess-every must be ≥ 1", "--probe-hess-every", "0")]
    public void BadSettingsGetOneLineAndExitCode2(string message, params string[] args)
    {
        using var dir = new TempDirectory();
        var (exit, _, err) = Probes(["train", "--out", dir.Combine("run"), .. args]);
        Assert.Equal(2, exit);
        Assert.Contains(message, err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.False(Directory.Exists(dir.Combine("run")), "a refused run must not leave a run directory");
    }

    [Theory]
    [InlineData("--ntk-study, --tolerance-study and --deflation-study need --run", "--ntk-study")]
    [InlineData("--ntk-study, --tolerance-study and --deflation-study need --run", "--tolerance-study")]
    [InlineData("--ntk-study, --tolerance-study and --deflation-study need --run", "--deflation-study")]
    [InlineData("choose one of --ntk-study, --tolerance-study and --deflation-study", "--run", "x", "--ntk-study", "--deflation-study")]
    [InlineData("--probe-steps must be in 1..10000", "--run", "x", "--probe-steps", "0")]
    [InlineData("--probe-tol must be in (0, 0.01]", "--run", "x", "--probe-tol", "2")]
    [InlineData("--probe-tol applies to bench --run RUN_DIR (without a study)", "--probe-tol", "1e-4")]
    [InlineData("--probe-q-tol must be in (0, 0.01]", "--run", "x", "--probe-q-tol", "NaN")]
    [InlineData("--probe-hess-tol must be in (0, 0.01]", "--run", "x", "--probe-hess-tol", "-1")]
    public void BadBenchInputIsOneLine(string message, params string[] args)
    {
        var (exit, _, err) = Probes(["bench", .. args]);
        Assert.Equal(2, exit);
        Assert.Contains(message, err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Theory]
    [InlineData("trian", "unknown command 'trian'; did you mean 'train'?")]
    [InlineData("frobnicate", "unknown command 'frobnicate' (commands: train, bench")]
    public void AnUnknownCommandIsOneLineWithTheNearestName(string command, string message)
    {
        var (exit, _, err) = Probes(command, "--n", "50");
        Assert.Equal(2, exit);
        Assert.Contains(message, err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public void ConfigFileErrorsNameTheProblem()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.Combine("bad-key.json"), """{ "lr": 0.01, "learning-rate": 0.02 }""");
        File.WriteAllText(dir.Combine("bad-type.json"), """{ "steps": "many" }""");
        File.WriteAllText(dir.Combine("broken.json"), "{\n  \"steps\": 3,\n  \"lr\": 0.01 0.02\n}");
        var (exit, _, err) = Probes("train", "--config", dir.Combine("bad-key.json"));
        Assert.Equal(2, exit);
        Assert.Contains("unknown setting 'learning-rate'", err);
        (exit, _, err) = Probes("train", "--config", dir.Combine("bad-type.json"));
        Assert.Equal(2, exit);
        Assert.Contains("bad-type.json: setting 'steps' cannot be \"many\"", err);
        (exit, _, err) = Probes("train", "--config", dir.Combine("broken.json"));
        Assert.Equal(2, exit);
        Assert.Contains("not valid JSON at line 3, column", err);
        (exit, _, err) = Probes("train", "--config", dir.Combine("absent.json"));
        Assert.Equal(2, exit);
        Assert.Contains("cannot read config file", err);
    }

    [Fact]
    public void FlagsWinOverTheConfigFileWhichWinsOverThePreset()
    {
        using var cifar = new SyntheticCifar(train: 16, test: 4);
        using var dir = new TempDirectory();
        // Keys in either spelling: probe-every as the flag, log_every as config.json writes it.
        File.WriteAllText(dir.Combine("c.json"),
            """{ "preset": "quick", "n": 12, "width": 8, "steps": 2, "lr": 0.3, "probe-every": 7, "log_every": 9 }""");
        var (exit, _, err) = Probes("train", "--config", dir.Combine("c.json"), "--lr", "0.02", "--data", cifar.Folder,
            "--out", dir.Combine("run"), "--threads", "1", "--probe-window", "0:1", "--spectra-at", "1");
        Assert.True(exit == 0, err);
        var config = File.ReadAllText(dir.Combine("run/config.json"));
        Assert.Contains("\"lr\": 0.02", config);       // flag
        Assert.Contains("\"n\": 12", config);          // file
        Assert.Contains("\"preset\": \"quick\"", config);
        Assert.Contains("\"name\": \"quick\"", config); // preset
        Assert.Contains("\"probe_every\": 7", config);
        Assert.Contains("\"log_every\": 9", config);
    }

    [Fact]
    public void MissingDataIsOneLine()
    {
        using var dir = new TempDirectory();
        var (exit, _, err) = Probes("train", "--data", dir.Combine("nowhere"), "--out", dir.Combine("run"));
        Assert.Equal(2, exit);
        Assert.Contains("no data_batch_1.bin there", err);
        Assert.Single(err.Trim().Split('\n'));
    }
}
