using Xunit;

namespace Probes.Tests;

/// <summary>The benchmark and its studies run end to end from a small checkpointed run (figures are not asserted).</summary>
public class BenchStudiesTests
{
    private static string TrainedRun(SyntheticCifar cifar, TempDirectory dir, int n, int k)
    {
        var run = dir.Combine("run");
        var (exit, _, err) = CommandLineTests.Probes("train", "--data", cifar.Folder, "--out", run, "--n", $"{n}", "--n-test", "8",
            "--width", "16", "--steps", "6", "--lr", "0.05", "--threads", "1", "--probe-every", "1", "--probe-k", $"{k}", "--checkpoint-every", "3");
        Assert.True(exit == 0, err);
        return run;
    }

    /// <summary>Runs <c>probes bench</c> with these arguments, expecting success; returns its output.</summary>
    private static string Bench(params string[] args)
    {
        var (exit, output, err) = CommandLineTests.Probes(["bench", .. args, "--threads", "1"]);
        Assert.True(exit == 0, err);
        return output;
    }

    [Fact]
    public void BenchRunAndEveryStudyContinueACheckpointedRun()
    {
        using var cifar = new SyntheticCifar(train: 24, test: 8);
        using var dir = new TempDirectory();
        var run = TrainedRun(cifar, dir, n: 24, k: 2);

        var output = Bench("--run", run, "--probe-steps", "2", "--probe-tol", "1e-5", "--probe-hess-tol", "1e-4");
        Assert.Contains("tolerances NTK 1E-05, Hessian 0.0001, Q 1E-05", output);      // each flag its own, Q the run's
        Assert.Contains("warm_lag", output);

        output = Bench("--run", run, "--ntk-study", "--probe-steps", "5");
        Assert.Contains("float32 K·u vs float64", output);
        Assert.Contains("2(t−2)−(t−4) to 1e-6", output);       // four reference steps seen by the fifth

        output = Bench("--run", run, "--tolerance-study", "--probe-steps", "2");
        Assert.Contains("largest |x − x_ref| / |x_ref|", output);
        Assert.Contains("nl_ratio", output);

        output = Bench("--run", run, "--deflation-study", "--probe-steps", "6");
        Assert.Contains("spaces estimated cold", output);
        Assert.Contains("extrap", output);                        // the sixth step starts from 2·v(t−2) − v(t−4)
    }

    [Fact]
    public void ADeflationStudyOfAnNtkTooSmallForASpaceIsOneLine()
    {
        using var cifar = new SyntheticCifar(train: 2, test: 8);
        using var dir = new TempDirectory();
        var run = TrainedRun(cifar, dir, n: 1, k: 9);             // D = 10: nothing below the top 9 but one
        var (exit, _, err) = CommandLineTests.Probes("bench", "--run", run, "--deflation-study", "--threads", "1");
        Assert.Equal(2, exit);
        Assert.Contains("too small for a deflation space below its top 9", err);
        Assert.Single(err.Trim().Split('\n'));
    }
}
