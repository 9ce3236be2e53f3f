using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace Probes.Tests;

/// <summary>
/// Sweeps: created once (never overwritten), run here with workers, and run as a job array on a real Slurm
/// cluster (.ci/slurm-up starts one) with a task cancelled midway and requeued, whose resumed run must equal
/// an uninterrupted one.
/// </summary>
public class SweepTests(ITestOutputHelper output)
{
    private static string[] Create(string sweep, string data, int steps, params string[] grid) =>
    [
        "sweep", "create", sweep, .. grid.SelectMany(g => new[] { "--grid", g }), "--set", $"data={data}", "--set", "n=24",
        "--set", "width=16", "--set", "n-test=8", "--set", $"steps={steps}", "--set", "lr=0.05", "--set", "probe-every=1",
        "--set", "probe-above=100", "--set", "checkpoint-every=10", "--set", "threads=1",
    ];

    /// <summary>A trace without its wall-clock column (the last), as the resume tests compare them.</summary>
    private static string[] Trace(string run, string file) =>
        [.. File.ReadAllLines(Path.Combine(run, file)).Select(l => l[..l.LastIndexOf(',')])];

    [Fact]
    public void ALocalSweepRunsEveryPointOnceAndReportsThem()
    {
        using var cifar = new SyntheticCifar(train: 32, test: 8);
        using var dir = new TempDirectory();
        var sweep = dir.Combine("sweep");
        var (exit, _, err) = CommandLineTests.Probes(Create(sweep, cifar.Folder, 12, "seed=0,1", "width=8,16"));
        Assert.True(exit == 0, err);
        // The same sweep again is a no-op; a different one in the same directory is refused.
        Assert.Equal(0, CommandLineTests.Probes(Create(sweep, cifar.Folder, 12, "seed=0,1", "width=8,16")).Exit);
        (exit, _, err) = CommandLineTests.Probes(Create(sweep, cifar.Folder, 13, "seed=0,1"));
        Assert.Equal(2, exit);
        Assert.Contains("already holds a different sweep", err);

        (exit, var stdout, err) = CommandLineTests.Probes("sweep", "run", sweep, "--workers", "2");
        Assert.True(exit == 0, stdout + err);
        (exit, stdout, _) = CommandLineTests.Probes("sweep", "status", sweep);
        Assert.Contains("4 completed", stdout);
        (exit, stdout, _) = CommandLineTests.Probes("sweep", "run", sweep, "--index", "2");
        Assert.Contains("already completed", stdout);
        (exit, _, err) = CommandLineTests.Probes("sweep", "report", sweep);
        Assert.True(exit == 0, err);
        var rows = File.ReadAllLines(Path.Combine(sweep, "sweep-report.csv"));
        Assert.Equal("index,seed,width,status", string.Join(',', rows[0].Split(',').Take(4)));
        Assert.Equal(5, rows.Length);
        Assert.All(rows.Skip(1), r => Assert.Contains(",completed,12,", r));
        Assert.True(File.Exists(Path.Combine(sweep, "sweep-report.html")));
    }

    [Theory]
    [InlineData("a sweep needs at least one --grid", "create", "{dir}/a")]
    [InlineData("is not KEY=V1,V2", "create", "{dir}/b", "--grid", "lr")]
    [InlineData("unknown setting 'nosuch'", "create", "{dir}/c", "--grid", "nosuch=1,2")]
    [InlineData("lr must be a positive number, got -1", "create", "{dir}/d", "--grid", "lr=-1,2")]
    [InlineData("is not KEY=VALUE", "create", "{dir}/e", "--grid", "lr=0.1", "--set", "x")]
    [InlineData("not a sweep directory", "status", "{dir}/none")]
    [InlineData("needs --index I", "run", "{dir}/none")]
    [InlineData("is not a readable sweep manifest", "report", "{dir}/broken")]
    public void BadSweepInputIsOneLineAndWritesNothing(string message, params string[] args)
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.Combine("broken"));
        File.WriteAllText(dir.Combine("broken/sweep.json"), "{ \"base\": {}, \"axes\": [\"lr\"], \"points\": [{ \"index\": \"x\" }] }");
        var (exit, stdout, err) = CommandLineTests.Probes(["sweep", .. args.Select(a => a.Replace("{dir}", dir.Path))]);
        Assert.Equal(2, exit);
        Assert.Contains(message, err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", err);
        foreach (var created in new[] { "a", "b", "c", "d", "e" }) Assert.False(Directory.Exists(dir.Combine(created)), $"{created} was created");
    }

    private static string Shell(string command, params string[] args)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var text = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return text;
    }

    private static bool SlurmIsUp()
    {
        try { return Shell("sinfo", "-h", "-o", "%T").Split('\n').Any(s => s.Trim() is "idle" or "mixed" or "allocated"); }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }

    [Fact]
    public void ASlurmArrayRunsTheSweepAndARequeuedTaskResumesExactly()
    {
        if (!SlurmIsUp())
        {
            Assert.True(Environment.GetEnvironmentVariable("PROBES_REQUIRE_SLURM") != "1", "PROBES_REQUIRE_SLURM=1 but no Slurm node is up");
            output.WriteLine("skipped: no Slurm cluster here (.ci/slurm-up starts one)");
            return;
        }
        using var cifar = new SyntheticCifar(train: 32, test: 8);
        using var dir = new TempDirectory();
        var sweep = dir.Combine("a sweep");                    // a space: the script must quote the path for sbatch and bash
        Assert.Equal(0, CommandLineTests.Probes(Create(sweep, cifar.Folder, 120, "seed=0,1,2,3")).Exit);
        var (exit, stdout, err) = CommandLineTests.Probes("sweep", "slurm", sweep, "--submit", "--cpus-per-task", "1");
        Assert.True(exit == 0, stdout + err);
        var job = System.Text.RegularExpressions.Regex.Match(stdout, @"as job (\d+)").Groups[1].Value;
        output.WriteLine($"submitted job {job}");

        // Cancel task 1 once it has checkpointed past step 0, then requeue it.
        var checkpoint = Path.Combine(sweep, "runs", "0001", "checkpoint.json");
        var clock = Stopwatch.StartNew();
        while (!(File.Exists(checkpoint) && System.Text.RegularExpressions.Regex.IsMatch(File.ReadAllText(checkpoint), "\"step\": [1-9]"))
               && clock.Elapsed.TotalSeconds < 180) Thread.Sleep(100);
        Shell("scancel", $"{job}_1");
        while (Shell("squeue", "-h", "-j", $"{job}_1").Contains($"{job}_1") && clock.Elapsed.TotalSeconds < 180) Thread.Sleep(200);
        (_, stdout, _) = CommandLineTests.Probes("sweep", "status", sweep);
        output.WriteLine(stdout);
        Assert.Matches(@"\n\s+1\s+(interrupted|completed)", "\n" + stdout);
        output.WriteLine(Shell("scontrol", "requeue", $"{job}_1"));
        // Until no task of the array is queued or running (a requeued task waits for its begin time first).
        bool Queued() => Shell("squeue", "-h", "-r", "-o", "%i").Split('\n').Any(id => id.Trim().StartsWith(job + "_", StringComparison.Ordinal));
        while (Queued() && clock.Elapsed.TotalSeconds < 300) Thread.Sleep(500);
        Assert.False(Queued(), "the array did not finish in 300 s");

        (_, stdout, _) = CommandLineTests.Probes("sweep", "status", sweep);
        output.WriteLine(stdout);
        Assert.Contains("4 completed", stdout);
        Assert.Equal(0, CommandLineTests.Probes("sweep", "report", sweep).Exit);
        Assert.Equal(5, File.ReadAllLines(Path.Combine(sweep, "sweep-report.csv")).Length);

        // The cancelled and requeued point equals the same point run without interruption.
        var baseline = dir.Combine("baseline");
        Assert.Equal(0, CommandLineTests.Probes(Create(baseline, cifar.Folder, 120, "seed=0,1,2,3")).Exit);
        Assert.Equal(0, CommandLineTests.Probes("sweep", "run", baseline, "--index", "1").Exit);
        foreach (var file in new[] { "train.csv", "probes.csv" })
            Assert.Equal(Trace(Path.Combine(baseline, "runs", "0001"), file), Trace(Path.Combine(sweep, "runs", "0001"), file));
    }
}
