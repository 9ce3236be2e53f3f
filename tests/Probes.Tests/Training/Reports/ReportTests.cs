using System.Xml;
using SkiaSharp;
using Training;
using Training.Reports;
using Training.Runs;
using Xunit;

namespace Probes.Tests;

public class ReportTests
{
    /// <summary>Below 2 until step 10, above until 20, below until 30, above after: three crossings.</summary>
    private static double ThreeCrossings(int t) => t < 10 ? 1.8 + 0.01 * t : t < 20 ? 2.05 : t < 30 ? 1.97 : 2.02;

    [Fact]
    public void ReportNumbersOnAHandMadeTraceAreRight()
    {
        using var dir = new TempDirectory();
        var run = RunTraces.Read(SyntheticRun.Write(dir.Combine("run"), 40, ThreeCrossings));
        var s = EosSummary.Of(run);
        Assert.Equal(10, s.OnsetStep);
        Assert.Equal(3, s.CrossingsLambda1);
        Assert.Equal(40, s.ProbedSteps);
        var after = Enumerable.Range(10, 30).Select(ThreeCrossings).ToArray();
        Assert.Equal(after.Average(), s.MeanSharpnessAfterOnset!.Value, 12);
        Assert.Equal(1.0, s.FractionWithin5Percent!.Value, 12);     // 2.05, 1.97 and 2.02 are all within ±0.1
        // η·λ₂ = 1.5 + 0.6 sin(t/3) crosses 2 each time the sine passes 5/6.
        int expected = EosSummary.Crossings(Enumerable.Range(0, 40).Select(t => 1.5 + 0.6 * Math.Sin(t / 3.0)).ToArray(), 2);
        Assert.True(expected >= 4);
        Assert.Equal(expected, s.CrossingsLambda2);
        // z₁ follows the two-step law exactly: slope 1, intercept 0, R² 1.
        Assert.NotNull(s.TwoStep);
        Assert.Equal(1.0, s.TwoStep!.Slope, 9);
        Assert.Equal(0.0, s.TwoStep.Intercept, 9);
        Assert.Equal(1.0, s.TwoStep.RSquared, 9);
        Assert.Equal(10, s.TwoStep.FirstStep);
        Assert.Equal(50 + 19.5, s.MeanQ1Norm!.Value, 9);             // max(|50+t|, 40) averaged over t = 0..39
        Assert.Equal(5.0, s.MeanQrNorm!.Value, 12);
    }

    [Fact]
    public void CrossingsCountSidesNotTouches()
    {
        Assert.Equal(0, EosSummary.Crossings([1, 2, 1], 2));
        Assert.Equal(1, EosSummary.Crossings([1, 2, 3], 2));
        Assert.Equal(2, EosSummary.Crossings([3, 1, 2, 2, 2.5], 2));
    }

    [Fact]
    public void EveryFigureIsAValidNonBlankPngAndSvg()
    {
        using var dir = new TempDirectory();
        var run = RunTraces.Read(SyntheticRun.Write(dir.Combine("run"), 40, ThreeCrossings));
        var figures = RunFigures.Draw([run], dir.Combine("figures"));
        Assert.Equal(["loss", "sharpness", "z1", "z1-every-other-step", "q-spectrum", "two-step", "two-step-scatter", "nl-ratio", "nl-candidates",
            "z1-eos", "nl-ratio-eos"],
            figures.Select(f => f.Name).ToArray());
        foreach (var f in figures)
        {
            using var bitmap = SKBitmap.Decode(f.PngPath);
            Assert.NotNull(bitmap);
            Assert.Equal(Figure.Width, bitmap.Width);
            Assert.Equal(Figure.Height, bitmap.Height);
            var pixels = bitmap.Pixels.Select(p => (double)(p.Red + p.Green + p.Blue)).ToArray();
            double mean = pixels.Average();
            double variance = pixels.Select(v => (v - mean) * (v - mean)).Average();
            Assert.True(variance > 100, $"{f.Name}.png looks blank (pixel variance {variance:F1})");
            var svg = new XmlDocument();
            svg.Load(Path.ChangeExtension(f.PngPath, ".svg"));
            Assert.Equal("svg", svg.DocumentElement!.LocalName);
        }
    }

    [Fact]
    public void HtmlReportIsSelfContained()
    {
        using var dir = new TempDirectory();
        var path = SyntheticRun.Write(dir.Combine("run"), 40, ThreeCrossings);
        var run = RunTraces.Read(path);
        var figures = RunFigures.Draw([run], Path.Combine(path, "figures"));
        var (md, html) = ReportWriter.Write(run, EosSummary.Of(run), figures, path);
        var text = File.ReadAllText(html);
        Assert.Equal(figures.Count, System.Text.RegularExpressions.Regex.Matches(text, "src=\"data:image/png;base64,").Count);
        Assert.DoesNotContain("http://", text.Replace("http://www.w3.org", ""));
        Assert.DoesNotContain("https://", text);
        Assert.DoesNotContain("<script", text);
        Assert.Contains("first step with η·λ₁ ≥ 2", File.ReadAllText(md));
        Assert.Contains("| crossings of 2 by η·λ₁ / by η·λ₂ | 3 /", File.ReadAllText(md));
    }

    [Fact]
    public void BrokenTracesAreNamedWithFileAndLine()
    {
        using var dir = new TempDirectory();
        var path = SyntheticRun.Write(dir.Combine("run"), 10, ThreeCrossings);
        var probes = Path.Combine(path, "probes.csv");
        var lines = File.ReadAllLines(probes).ToList();
        lines[4] = lines[4][..(lines[4].Length / 2)];                 // a half-written line
        File.WriteAllLines(probes, lines);
        var e = Assert.Throws<ProbesError>(() => RunTraces.Read(path));
        Assert.Contains("probes.csv:5", e.Message);

        var train = Path.Combine(path, "train.csv");
        var rows = File.ReadAllLines(train);
        rows[2] = rows[2].Replace(rows[2].Split(',')[1], "oops");
        File.WriteAllLines(train, rows);
        File.WriteAllLines(probes, lines.Take(4));
        e = Assert.Throws<ProbesError>(() => RunTraces.Read(path));
        Assert.Contains("train.csv:3", e.Message);
        Assert.Contains("'oops'", e.Message);

        File.Delete(Path.Combine(path, "config.json"));
        e = Assert.Throws<ProbesError>(() => RunTraces.Read(path));
        Assert.Contains("config.json is missing", e.Message);
    }

    [Fact]
    public void AHalfWrittenLastRowIsDroppedWithAWarningNotRefused()
    {
        using var dir = new TempDirectory();
        var path = SyntheticRun.Write(dir.Combine("run"), 10, ThreeCrossings);
        var probes = Path.Combine(path, "probes.csv");
        int complete = File.ReadAllLines(probes).Length - 1;
        var text = File.ReadAllText(probes);
        File.WriteAllText(probes, text + text.Split('\n')[1][..7]);           // a power cut mid-row
        var traces = RunTraces.Read(path);
        Assert.Equal(complete, traces.Probes!.RowCount);
        var (exit, _, err) = CommandLineTests.Probes("report", path);
        Assert.Equal(0, exit);
        Assert.Contains("dropped a half-written last row", err);
    }

    [Fact]
    public void CommandsGiveOneLineErrorsOnBrokenRuns()
    {
        using var dir = new TempDirectory();
        var (exit, _, err) = CommandLineTests.Probes("report", dir.Combine("absent"));
        Assert.Equal(2, exit);
        Assert.Contains("no such run directory", err);
        var path = SyntheticRun.Write(dir.Combine("run"), 30, ThreeCrossings);
        (exit, var output, err) = CommandLineTests.Probes("report", path, "--json");
        Assert.True(exit == 0, err);
        Assert.Contains("\"onset_step\": 10", output);
        Assert.True(File.Exists(Path.Combine(path, "report.html")));
    }

    [Fact]
    public void CompareOverlaysAnyNumberOfRunsLabelledByWhatDiffersAndNeverOverwrites()
    {
        using var dir = new TempDirectory();
        var runs = new[] { 0.01, 0.02, 0.04 }.Select((lr, i) =>
            SyntheticRun.Write(dir.Combine($"run{i}"), 30, t => 1.5 + 0.02 * t, lr)).ToArray();
        var (exit, output, err) = CommandLineTests.Probes(["compare", .. runs, "--json", "--out", dir.Combine("cmp")]);
        Assert.True(exit == 0, err);
        var json = System.Text.Json.JsonDocument.Parse(output).RootElement;
        Assert.Equal(["lr 0.01", "lr 0.02", "lr 0.04"], json.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        var first = json.GetProperty("folder").GetString()!;
        Assert.True(Directory.EnumerateFiles(first, "*.png").Any());
        // The same comparison again goes to a new folder, leaving the first as it was.
        (exit, output, _) = CommandLineTests.Probes(["compare", .. runs, "--json", "--out", dir.Combine("cmp")]);
        var second = System.Text.Json.JsonDocument.Parse(output).RootElement.GetProperty("folder").GetString()!;
        Assert.Equal(dir.Combine("cmp"), first);
        Assert.Equal(first + "-2", second);
        Assert.All(runs, r => Assert.DoesNotContain(Directory.EnumerateDirectories(r),
            d => Path.GetFileName(d).StartsWith("compare", StringComparison.Ordinal)));
        // One run is not a comparison.
        (exit, _, err) = CommandLineTests.Probes("compare", runs[0]);
        Assert.Equal(2, exit);
    }
}
