using System.Diagnostics;
using System.Runtime.InteropServices;
using Xunit;
using Xunit.Abstractions;

namespace Probes.Tests;

/// <summary>
/// What a sweep must never do: write a user's value into its Slurm script as a command, send a task to a path that a
/// hand edit put in sweep.json, or leave its workers running when it is stopped.
/// </summary>
public class SweepTrustTests(ITestOutputHelper output)
{
    private static string CreateSweep(string sweep, string data, int steps, string grid = "seed=0,1")
    {
        var (exit, _, err) = CommandLineTests.Probes("sweep", "create", sweep, "--grid", grid, "--set", $"data={data}", "--set", "n=8",
            "--set", "width=8", "--set", "n-test=0", "--set", $"steps={steps}", "--set", "probe-every=0", "--set", "checkpoint-every=1000");
        Assert.True(exit == 0, err);
        return sweep;
    }

    [Theory]
    [InlineData("--time", "01:00:00\nrm -rf /")]
    [InlineData("--time", "1 hour")]
    [InlineData("--partition", "gpu; rm -rf /")]
    [InlineData("--partition", "a b")]
    [InlineData("--sbatch", "--mem=8G\nrm -rf /")]
    [InlineData("--sbatch", "--mem=$(rm -rf /)")]
    [InlineData("--parallel", "-1")]
    [InlineData("--cpus-per-task", "0")]
    public void ASlurmValueThatWouldBeACommandIsOneLineAndNoScript(string flag, string value)
    {
        using var cifar = new SyntheticCifar(train: 16, test: 0);
        using var dir = new TempDirectory();
        var sweep = CreateSweep(dir.Combine("sweep"), cifar.Folder, 2);
        var (exit, _, err) = CommandLineTests.Probes("sweep", "slurm", sweep, flag, value);
        Assert.Equal(2, exit);
        Assert.Single(err.Trim().Split('\n'));
        Assert.False(File.Exists(Path.Combine(sweep, "sweep.sbatch")));
    }

    /// <summary>--set and --grid name a key once: twice, or in both spellings, one would silently win.</summary>
    [Theory]
    [InlineData("--set", "probe_tol=1e-6", "--set", "probe-tol=1e-5")]
    [InlineData("--set", "lr=0.1", "--set", "lr=0.2")]
    [InlineData("--grid", "probe_tol=1e-6", "--grid", "probe-tol=1e-5")]
    [InlineData("--grid", "seed=0", "--grid", "seed=1")]
    [InlineData("--set", "n=null")]
    [InlineData("--set", "steps=many")]
    public void AKeyGivenTwiceOrOfTheWrongTypeIsOneLineAndNoSweep(params string[] args)
    {
        using var dir = new TempDirectory();
        var (exit, _, err) = CommandLineTests.Probes(["sweep", "create", dir.Combine("sweep"), "--grid", "lr=0.1,0.2", .. args]);
        Assert.Equal(2, exit);
        Assert.Single(err.Trim().Split('\n'));
        Assert.False(Directory.Exists(dir.Combine("sweep")));
    }

    [Fact]
    public void ASweepPathWithSpacesAndQuotesReachesTheTaskAsOneWord()
    {
        using var cifar = new SyntheticCifar(train: 16, test: 0);
        using var dir = new TempDirectory();
        var sweep = CreateSweep(dir.Combine("it's a sweep"), cifar.Folder, 2);
        var (exit, _, err) = CommandLineTests.Probes("sweep", "slurm", sweep, "--time", "1-12:00:00", "--partition", "debug", "--sbatch",
            "--mem=8G");
        Assert.True(exit == 0, err);
        var script = File.ReadAllText(Path.Combine(sweep, "sweep.sbatch"));
        Assert.Contains("#SBATCH --time=1-12:00:00\n", script);
        Assert.Contains($"#SBATCH --output=\"{sweep}/slurm/%A_%a.out\"\n", script);
        // bash reads the task's command line: run it with printf in place of the program, one argument a line.
        var exec = script.Split('\n').Single(l => l.StartsWith("exec ", StringComparison.Ordinal));
        int at = exec.IndexOf(" sweep run ", StringComparison.Ordinal);
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("printf '%s\\n'" + exec[at..]);
        start.Environment["SLURM_ARRAY_TASK_ID"] = "1";
        using var p = Process.Start(start)!;
        var words = p.StandardOutput.ReadToEnd().TrimEnd('\n').Split('\n');
        p.WaitForExit();
        Assert.Equal(["sweep", "run", Path.GetFullPath(sweep), "--index", "1", "--threads", "1"], words);
    }

    [Fact]
    public void ARunDirectoryOutsideTheSweepInSweepJsonIsRefused()
    {
        using var cifar = new SyntheticCifar(train: 16, test: 0);
        using var dir = new TempDirectory();
        var sweep = CreateSweep(dir.Combine("sweep"), cifar.Folder, 2);
        Directory.CreateDirectory(dir.Combine("victim"));
        File.WriteAllText(dir.Combine("victim/run.lock"), "");              // what once made sweep run delete a folder
        var manifest = Path.Combine(sweep, "sweep.json");
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"runs/0001\"", "\"../victim\""));
        foreach (var args in new[] { new[] { "sweep", "run", sweep, "--index", "1" }, ["sweep", "status", sweep] })
        {
            var (exit, _, err) = CommandLineTests.Probes(args);
            Assert.Equal(2, exit);
            Assert.Contains("run_dir", err);
            Assert.Single(err.Trim().Split('\n'));
        }
        Assert.True(File.Exists(dir.Combine("victim/run.lock")));
    }

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    /// <summary>The processes whose command line names <paramref name="text"/> (from /proc).</summary>
    private static List<int> ProcessesNaming(string text) =>
        [.. Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(d => d!.All(char.IsDigit))
            .Select(d => int.Parse(d!, System.Globalization.CultureInfo.InvariantCulture))
            .Where(pid =>
            {
                try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Contains(text, StringComparison.Ordinal); }
                catch (IOException) { return false; }
                catch (UnauthorizedAccessException) { return false; }
            })];

    [Fact]
    public async Task SigtermStopsEveryWorkerWithACheckpointAndLeavesNoneRunning()
    {
        using var cifar = new SyntheticCifar(train: 16, test: 0);
        using var dir = new TempDirectory();
        var sweep = CreateSweep(dir.Combine("sweep"), cifar.Folder, 1_000_000);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "probes.dll"), "sweep", "run", sweep, "--workers", "2" })
            start.ArgumentList.Add(a);
        using var sweepProcess = Process.Start(start)!;
        var stdout = sweepProcess.StandardOutput.ReadToEndAsync();
        var stderr = sweepProcess.StandardError.ReadToEndAsync();
        try
        {
            // Both points training: each has written rows past its step-0 checkpoint.
            string Train(int i) => Path.Combine(sweep, "runs", $"{i:D4}", "train.csv");
            var clock = Stopwatch.StartNew();
            while (!Enumerable.Range(0, 2).All(i => File.Exists(Train(i)) && new FileInfo(Train(i)).Length > 2000) && clock.Elapsed.TotalSeconds < 90)
                Thread.Sleep(100);
            Assert.True(clock.Elapsed.TotalSeconds < 90, "the workers did not start training in 90 s");
            Assert.Equal(0, Kill(sweepProcess.Id, 15));
            Assert.True(sweepProcess.WaitForExit(60_000), "the sweep did not stop within 60 s of SIGTERM");
            string said = await stdout + await stderr;
            output.WriteLine(said);
            Assert.Equal(130, sweepProcess.ExitCode);
            Assert.Empty(ProcessesNaming(sweep));                      // no worker left behind
            Assert.Contains("stopping 2 running point(s)", said);
            var (_, status, _) = CommandLineTests.Probes("sweep", "status", sweep);
            output.WriteLine(status);
            Assert.Contains("2 interrupted", status);
            foreach (var i in new[] { 0, 1 })
                Assert.Contains("\"completed\": false", File.ReadAllText(Path.Combine(sweep, "runs", $"{i:D4}", "checkpoint.json")));
        }
        finally
        {
            foreach (var pid in ProcessesNaming(sweep)) _ = Kill(pid, 9);
        }
    }
}
