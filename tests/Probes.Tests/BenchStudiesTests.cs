using Xunit;

namespace Probes.Tests;

/// <summary>The benchmark and its studies run end to end from a small checkpointed run (figures are not asserted).</summary>
public class BenchStudiesTests
{
    [Fact]
    public void BenchRunAndEveryStudyContinueACheckpointedRun()
    {
        using var cifar = new SyntheticCifar(train: 24, test: 8);
        using var dir = new TempDirectory();
        var run = dir.Combine("run");
        var (exit, _, err) = CommandLineTests.Probes("train", "--data", cifar.Folder, "--out", run, "--n", "24", "--n-test", "8",
            "--width", "16", "--steps", "6", "--lr", "0.05", "--threads", "1", "--probe-every", "1", "--probe-k", "2", "--checkpoint-every", "3");
        Assert.True(exit == 0, err);

        (exit, var output, err) = CommandLineTests.Probes("bench", "--run", run, "--probe-steps", "2", "--threads", "1", "--probe-tol", "1e-5");
        Assert.True(exit == 0, err);
        Assert.Contains("tolerance 1E-05", output);
        Assert.Contains("warm_lag", output);

        (exit, output, err) = CommandLineTests.Probes("bench", "--run", run, "--ntk-study", "--probe-steps", "5", "--threads", "1");
        Assert.True(exit == 0, err);
        Assert.Contains("float32 K·u vs float64", output);
        Assert.Contains("2(t−2)−(t−4) to 1e-6", output);       // four reference steps seen by the fifth

        (exit, output, err) = CommandLineTests.Probes("bench", "--run", run, "--tolerance-study", "--probe-steps", "2", "--threads", "1");
        Assert.True(exit == 0, err);
        Assert.Contains("largest |x − x_ref| / |x_ref|", output);
        Assert.Contains("nl_ratio", output);

        (exit, output, err) = CommandLineTests.Probes("bench", "--run", run, "--deflation-study", "--probe-steps", "6", "--threads", "1");
        Assert.True(exit == 0, err);
        Assert.Contains("space estimated cold", output);
        Assert.Contains("extrap", output);                        // the sixth step starts from 2·v(t−2) − v(t−4)
    }
}
