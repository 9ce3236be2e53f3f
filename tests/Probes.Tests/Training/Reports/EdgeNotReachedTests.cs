using Xunit;

namespace Probes.Tests;

/// <summary>
/// A run that never reached η·λ₁ = 2 says so in one line in report, fit and summary.json, instead of blank cells; a report's
/// Markdown table keeps two cells a row even where a quantity's name holds a | (max|eigenvalue|).
/// </summary>
public class EdgeNotReachedTests
{
    [Fact]
    public void ReportAndFitSayTheRunNeverReachedTheEdge()
    {
        using var dir = new TempDirectory();
        var run = SyntheticRun.Write(dir.Combine("run"), 30, t => 1.2 + 0.01 * t);       // peaks at 1.49, step 29
        var (exit, stdout, err) = CommandLineTests.Probes("report", run);
        Assert.True(exit == 0, err);
        Assert.Contains("never reached the edge of stability: η·λ₁ peaked at 1.4900 (step 29)", stdout);
        var md = File.ReadAllText(Path.Combine(run, "report.md"));
        Assert.Contains("**This run never reached the edge of stability", md);
        Assert.Contains("| first step with η·λ₁ ≥ 2 | never (η·λ₁ peaked at 1.4900, step 29) |", md);
        foreach (var row in md.Split('\n').Where(l => l.StartsWith("| ", StringComparison.Ordinal)))
            Assert.Equal(3, row.Replace("\\|", "").Count(c => c == '|'));
        (exit, stdout, err) = CommandLineTests.Probes("fit", run);
        Assert.True(exit == 0, err);
        Assert.Contains("no EOS fit", stdout);
        Assert.Contains("warning: this run never reached the edge of stability", err);
        Assert.Contains("never reached the edge", File.ReadAllText(Path.Combine(run, "fit.json")));
        // A window asked for is fitted all the same.
        (exit, stdout, _) = CommandLineTests.Probes("fit", run, "--window", "0:29");
        Assert.Equal(0, exit);
        Assert.Contains("two-step slope", stdout);
    }

    [Fact]
    public void SummaryJsonOfARunBelowTheEdgeSaysSoAndRecordsItsThreads()
    {
        using var cifar = new SyntheticCifar(train: 16, test: 0);
        using var dir = new TempDirectory();
        var run = dir.Combine("run");
        var (exit, _, err) = CommandLineTests.Probes("train", "--data", cifar.Folder, "--n", "8", "--n-test", "0", "--width", "8", "--steps",
            "2", "--lr", "0.001", "--probe-every", "1", "--probes", "ntk", "--threads", "1", "--out", run);
        Assert.True(exit == 0, err);
        var summary = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(run, "summary.json")))!;
        Assert.False(summary["eos"]!["reached_edge"]!.GetValue<bool>());
        Assert.StartsWith("never reached the edge of stability", summary["eos"]!["note"]!.GetValue<string>());
        Assert.Equal(1, summary["threads"]!.GetValue<int>());
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(run, "config.json")))!;
        Assert.Equal(1, config["settings"]!["threads"]!.GetValue<int>());
        Assert.False(File.Exists(Path.Combine(run, "density.csv")));              // no --spectra-density, no empty file
    }
}
