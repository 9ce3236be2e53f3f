using Training.Reports;
using Xunit;

namespace Probes.Tests;

/// <summary>
/// Messages that once misled: each says what is true of the run (the batch files its statistics came from, no
/// "test null", no "step -1", an intact model file not blamed for a changed network) and a run whose last files could
/// not be written is failed, not completed, and a resume finishes it.
/// </summary>
public class MessageTests
{
    private static string[] Train(string data, string run, params string[] more) =>
        ["train", "--data", data, "--n", "8", "--n-test", "0", "--width", "8", "--steps", "3", "--probe-every", "0", "--log-every", "1",
            "--out", run, .. more];

    [Fact]
    public void ARunsLogAndConfigSayWhatIsTrue()
    {
        using var cifar = new SyntheticCifar(train: 16, test: 0);
        using var dir = new TempDirectory();
        var run = dir.Combine("run");
        var (exit, _, err) = CommandLineTests.Probes(Train(cifar.Folder, run));
        Assert.True(exit == 0, err);
        var log = File.ReadAllText(Path.Combine(run, "log.txt"));
        Assert.DoesNotContain("test null", log);
        Assert.DoesNotContain("step -1", log);
        Assert.DoesNotContain("bytes", log);                                   // peak memory in GB, not 825163776 bytes
        Assert.Matches(@"peak resident memory \d+\.\d\d GB", log);
        Assert.Contains("over the 16 training images of 1 batch file\"", File.ReadAllText(Path.Combine(run, "config.json")));

        // A network changed in config.json: the model file is intact and is not blamed.
        var config = Path.Combine(run, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"width\": 8", "\"width\": 9"));
        (exit, _, err) = CommandLineTests.Probes("train", "--resume", run, "--steps", "5");
        Assert.Equal(2, exit);
        Assert.Contains("is intact", err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public void ARunWhoseWeightsCouldNotBeWrittenIsFailedAndAResumeFinishesIt()
    {
        using var cifar = new SyntheticCifar(train: 16, test: 0);
        using var dir = new TempDirectory();
        var run = dir.Combine("run");
        Assert.Equal(0, CommandLineTests.Probes(Train(cifar.Folder, run)).Exit);
        var weights = File.ReadAllBytes(Path.Combine(run, "weights.safetensors"));
        File.Delete(Path.Combine(run, "weights.safetensors"));
        File.Delete(Path.Combine(run, "weights.pt"));
        Directory.CreateDirectory(Path.Combine(run, "weights.safetensors"));     // a write that fails, as a full disk would
        var (exit, _, err) = CommandLineTests.Probes("train", "--resume", run);
        Assert.Equal(4, exit);
        Assert.Contains("writes the weights files", err);
        Assert.Contains("\"status\": \"failed\"", File.ReadAllText(Path.Combine(run, "summary.json")));
        Directory.Delete(Path.Combine(run, "weights.safetensors"));
        (exit, var stdout, err) = CommandLineTests.Probes("train", "--resume", run);
        Assert.True(exit == 0, err);
        Assert.Contains("wrote the weights files", stdout);
        Assert.Equal(weights, File.ReadAllBytes(Path.Combine(run, "weights.safetensors")));
        Assert.Contains("\"status\": \"completed\"", File.ReadAllText(Path.Combine(run, "summary.json")));
        (exit, _, err) = CommandLineTests.Probes("train", "--resume", run);      // and now it is finished as before
        Assert.Equal(2, exit);
        Assert.Contains("already completed step 3", err);

        // A killed export's temporary file is removed by the next export.
        var stale = dir.Combine("export/weights-step-000003.safetensors.tmp");
        Directory.CreateDirectory(dir.Combine("export"));
        File.WriteAllBytes(stale, new byte[1000]);
        Assert.Equal(0, CommandLineTests.Probes("export", run, "--out", dir.Combine("export")).Exit);
        Assert.False(File.Exists(stale));
    }

    [Fact]
    public void AFigureOfThirtyRunsShowsEveryLegendEntry()
    {
        using var dir = new TempDirectory();
        var figure = new Figure("many", "thirty runs", "step", "η·λ₁");
        for (int i = 0; i < 30; i++) figure.Line([0, 1, 2], [i, i + 1, i], $"run {i}");
        var png = File.ReadAllBytes(figure.Save(dir.Path));
        int height = (png[20] << 24) | (png[21] << 16) | (png[22] << 8) | png[23];      // the PNG header's height
        Assert.True(height >= 20 * 30, $"height {height}: a 30-entry legend column does not fit");
    }
}
