using Xunit;

namespace Probes.Tests;

/// <summary>
/// Runs end to end in each optimizer's and loss's own terms: an Adam run's probes.csv has eff_hess_1 = λ₁(P⁻¹H) against Adam's
/// threshold and leaves GD's columns empty, and summary.json and the report read its edge from the edge column (onset from
/// below, mean ± std after it); a cross-entropy run reads its edge on the Hessian; self-stabilization's x_u² against δ².
/// </summary>
public class OptimizerEdgeTests
{
    [Fact]
    public void AnAdamRunSpeaksInItsOwnEdge()
    {
        using var cifar = new SyntheticCifar(train: 16, test: 0);
        using var dir = new TempDirectory();
        var run = dir.Combine("run");
        const double lr = 0.05, beta1 = 0.9;
        var (exit, _, err) = CommandLineTests.Probes("train", "--data", cifar.Folder, "--n", "8", "--n-test", "0", "--width", "8", "--steps",
            "60", "--lr", "0.05", "--beta2", "0.9", "--optimizer", "adam", "--probe-every", "1", "--probes", "ntk,hessian", "--threads", "1",
            "--out", run);
        Assert.True(exit == 0, err);
        var probes = CsvRows(Path.Combine(run, "probes.csv"));
        Assert.All(probes, r => Assert.Equal("", r["y"]));
        Assert.All(probes, r => Assert.Equal((2 + 2 * beta1) / (lr * (1 - beta1)), Parse(r["threshold"]), 9));
        var edge = probes.Select(r => Parse(r["edge"])).ToArray();
        Assert.All(probes, r => Assert.Equal(Parse(r["eff_hess_1"]) / Parse(r["threshold"]), Parse(r["edge"]), 12));
        Assert.Contains(probes, r => Math.Abs(Parse(r["eff_hess_1"]) - Parse(r["hess_1"])) > 1e-3 * Parse(r["hess_1"]));   // P ≠ I
        int onset = Enumerable.Range(1, edge.Length - 1).FirstOrDefault(i => edge[i] >= 1 && edge[i - 1] < 1, -1);
        var eos = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(run, "summary.json")))!["eos"]!;
        Assert.Equal("adam", eos["optimizer"]!.GetValue<string>());
        Assert.Equal(onset >= 0, eos["reached_edge"]!.GetValue<bool>());
        var trace = string.Join(", ", edge.Select(e => e.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.True(onset >= 0, $"the tiny Adam run should reach its edge: edge {trace}");
        Assert.Equal(onset, eos["edge_onset_step"]!.GetValue<int>());
        Assert.Equal(edge[onset..].Average(), eos["mean_edge_after_onset"]!.GetValue<double>(), 12);
        var (code, stdout, error) = CommandLineTests.Probes("report", run);
        Assert.True(code == 0, error);
        Assert.Contains($"adam on mse: edge onset {onset}", stdout);
        // Figures of GD's columns, empty here, are not drawn blank; the edge figure is.
        (code, _, error) = CommandLineTests.Probes("plot", run);
        Assert.True(code == 0, error);
        Assert.True(File.Exists(Path.Combine(run, "figures", "edge.png")));
        Assert.False(File.Exists(Path.Combine(run, "figures", "nl-ratio.png")), "a figure of empty columns was drawn");
    }

    [Fact]
    public void ACrossEntropyRunTrainsOnItAndReadsItsEdgeOnTheHessian()
    {
        using var cifar = new SyntheticCifar(train: 16, test: 0);
        using var dir = new TempDirectory();
        var run = dir.Combine("run");
        var (exit, _, err) = CommandLineTests.Probes("train", "--data", cifar.Folder, "--n", "8", "--n-test", "0", "--width", "8", "--steps",
            "20", "--lr", "0.5", "--loss", "ce", "--probe-every", "1", "--probes", "ntk,hessian,selfstab", "--threads", "1", "--out", run);
        Assert.True(exit == 0, err);
        var train = CsvRows(Path.Combine(run, "train.csv"));
        // At θ₀ the outputs are small, so the mean cross-entropy is near log 10, far from the squared loss's ~0.5.
        Assert.InRange(Parse(train[0]["loss"]), 1.5, 3.5);
        Assert.True(Parse(train[^1]["loss"]) < Parse(train[0]["loss"]));
        var probes = CsvRows(Path.Combine(run, "probes.csv"));
        Assert.All(probes, r => Assert.True(r["z1"] == "" && r["y"] == "" && r["nl_ratio"] == "", "the residual's columns stay empty"));
        Assert.All(probes, r => Assert.Equal(0.5 * Parse(r["hess_1"]) / 2, Parse(r["edge"]), 12));
        Assert.All(probes, r => Assert.NotEqual("", r["beta"]));        // self-stabilization applies to GD on any loss
        var eos = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(run, "summary.json")))!["eos"]!;
        Assert.Equal("ce", eos["loss"]!.GetValue<string>());
        Assert.Null(eos["mean_sharpness_after_onset"]);                     // η·λ₁ of the NTK is not this run's edge
        // The Taylor-model comparison is GD's on the squared loss: one line, exit 2, nothing written.
        var before = Directory.GetFiles(run).ToDictionary(f => f, File.ReadAllBytes);
        var (code, _, error) = CommandLineTests.Probes("fit", run, "--taylor-at", "5");
        Assert.Equal(2, code);
        Assert.Contains("this run used gd on ce", error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.All(before, f => Assert.Equal(f.Value, File.ReadAllBytes(f.Key)));
    }

    /// <summary>--probes hessian alone (no NTK): summary.json still has the edge's numbers, under GD on either loss.</summary>
    [Theory]
    [InlineData("mse")]
    [InlineData("ce")]
    public void AHessianOnlyRunSummarisesItsEdge(string loss)
    {
        using var cifar = new SyntheticCifar(train: 16, test: 0);
        using var dir = new TempDirectory();
        var run = dir.Combine("run");
        var (exit, _, err) = CommandLineTests.Probes("train", "--data", cifar.Folder, "--n", "8", "--n-test", "0", "--width", "8", "--steps",
            "12", "--lr", "0.5", "--loss", loss, "--probe-every", "3", "--probes", "hessian", "--threads", "1", "--out", run);
        Assert.True(exit == 0, err);
        var probes = CsvRows(Path.Combine(run, "probes.csv"));
        var eos = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(run, "summary.json")))!["eos"]!;
        Assert.Equal(probes.Count, eos["probed_steps"]!.GetValue<int>());
        double max = probes.Max(r => Parse(r["edge"]));
        Assert.Equal(max, eos["max_edge"]!.GetValue<double>(), 12);
        Assert.Equal(max >= 1, eos["reached_edge"]!.GetValue<bool>());
    }

    [Fact]
    public void SummaryAndReportSetTheMeasuredOscillationAgainstSelfStabilizationsPrediction()
    {
        using var cifar = new SyntheticCifar(train: 16, test: 0);
        using var dir = new TempDirectory();
        var run = dir.Combine("run");
        var (exit, _, err) = CommandLineTests.Probes("train", "--data", cifar.Folder, "--n", "8", "--n-test", "0", "--width", "8", "--steps",
            "60", "--lr", "0.8", "--probe-every", "1", "--probes", "ntk,hessian,selfstab", "--threads", "1", "--out", run);
        Assert.True(exit == 0, err);
        var probes = CsvRows(Path.Combine(run, "probes.csv"));
        int onset = probes.FindIndex(r => Parse(r["eta_ntk_1"]) >= 2);
        Assert.True(onset >= 0, "the run should reach η·λ₁ = 2");
        var after = probes.Skip(onset).Where(r => r["delta2"] != "").ToList();
        Assert.NotEmpty(after);
        var eos = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(run, "summary.json")))!["eos"]!;
        Assert.Equal(after.Count, eos["selfstab_probes"]!.GetValue<int>());
        Assert.Equal(after.Average(r => Math.Pow(Parse(r["x_u"]), 2)), eos["selfstab_mean_x2"]!.GetValue<double>(), 12);
        Assert.Equal(after.Average(r => Parse(r["delta2"])), eos["selfstab_mean_delta2"]!.GetValue<double>(), 12);
        (exit, _, err) = CommandLineTests.Probes("report", run);
        Assert.True(exit == 0, err);
        Assert.Contains("| self-stabilization after onset:", File.ReadAllText(Path.Combine(run, "report.md")));
    }

    /// <summary>
    /// --probes hessian,midpoint end to end: edge_mid in every probe, summary.json and the report over the probes from the edge's
    /// onset, and training bit for bit that of the same run without it (θ is moved to the midpoint and back).
    /// </summary>
    [Theory]
    [InlineData("adam", "mse")]
    [InlineData("gd", "ce")]
    public void AMidpointRunSummarisesTheEdgeAtTheCentreOfItsSteps(string optimizer, string loss)
    {
        using var cifar = new SyntheticCifar(train: 16, test: 0);
        using var dir = new TempDirectory();
        string[] Args(string probes, string run) => ["train", "--data", cifar.Folder, "--n", "8", "--n-test", "0", "--width", "8", "--steps",
            "60", "--lr", optimizer == "adam" ? "0.05" : "0.5", "--beta2", "0.9", "--optimizer", optimizer, "--loss", loss, "--probe-every",
            "1", "--probes", probes, "--threads", "1", "--out", run];
        var (run, plain) = (dir.Combine("run"), dir.Combine("plain"));
        var (exit, _, err) = CommandLineTests.Probes(Args("hessian,midpoint", run));
        Assert.True(exit == 0, err);
        (exit, _, err) = CommandLineTests.Probes(Args("hessian", plain));
        Assert.True(exit == 0, err);
        string Losses(string r) => string.Join("\n", CsvRows(Path.Combine(r, "train.csv")).Select(row => row["loss"] + "," + row["grad_norm"]));
        Assert.Equal(Losses(plain), Losses(run));
        var probes = CsvRows(Path.Combine(run, "probes.csv"));
        Assert.All(probes, r => Assert.Equal(Parse(r["eff_hess_mid"]) / Parse(r["threshold"]), Parse(r["edge_mid"]), 12));
        Assert.All(probes, r => Assert.True(Parse(r["mid_iters"]) > 0));
        var edge = probes.Select(r => Parse(r["edge"])).ToArray();
        int onset = Enumerable.Range(1, edge.Length - 1).FirstOrDefault(i => edge[i] >= 1 && edge[i - 1] < 1, -1);
        Assert.True(onset >= 0, "the tiny run should reach its edge");
        var eos = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(run, "summary.json")))!["eos"]!;
        var mid = probes.Skip(onset).Select(r => Parse(r["edge_mid"])).ToArray();
        Assert.Equal(mid.Average(), eos["mean_edge_mid_after_onset"]!.GetValue<double>(), 12);
        Assert.Equal(mid.Count(v => Math.Abs(v - 1) <= 0.05) / (double)mid.Length, eos["edge_mid_fraction_within_5_percent"]!.GetValue<double>(),
            12);
        (exit, _, err) = CommandLineTests.Probes("report", run);
        Assert.True(exit == 0, err);
        Assert.Contains("| edge_mid, at the midpoint of each step, after the onset:", File.ReadAllText(Path.Combine(run, "report.md")));
        (exit, _, err) = CommandLineTests.Probes("plot", run);
        Assert.True(exit == 0, err);
        Assert.True(File.Exists(Path.Combine(run, "figures", "edge.png")));
    }

    private static double Parse(string s) => double.Parse(s, System.Globalization.CultureInfo.InvariantCulture);

    internal static List<Dictionary<string, string>> CsvRows(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        return [.. lines.Skip(1).Select(l => header.Zip(l.Split(',')).ToDictionary(p => p.First, p => p.Second))];
    }
}
