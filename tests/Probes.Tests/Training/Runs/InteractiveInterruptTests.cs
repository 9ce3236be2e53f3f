using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Training;
using Xunit;

namespace Probes.Tests;

/// <summary>
/// Ctrl-C in a real terminal: probes runs in a pseudo-terminal (util-linux <c>script</c>), so it draws its live
/// progress bar, and the test types Ctrl-C into the terminal, which the terminal turns into SIGINT.
/// </summary>
public partial class InteractiveInterruptTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string Script = "/usr/bin/script";

    // Spectre's live display moves the cursor to the top of the bar (ESC [ n A) before it writes a line above it.
    [GeneratedRegex(@"\x1b\[[0-9]*Aprobes: (SIGINT|SIGTERM) received: stopping at this step")]
    private static partial Regex AcknowledgedAboveTheBar();

    [Fact]
    public async Task CtrlCIsAcknowledgedAboveTheLiveBarAndLeavesACheckpoint()
    {
        if (!File.Exists(Script))
        {
            output.WriteLine($"skipped: {Script} (util-linux) is not installed");
            return;
        }
        using var cifar = new SyntheticCifar(train: 32, test: 8);
        using var dir = new TempDirectory();
        var (run, pidFile) = (dir.Combine("run"), dir.Combine("pid"));
        var probes = string.Join(' ', new[] { "dotnet", Path.Combine(AppContext.BaseDirectory, "probes.dll"), "train", "--data", cifar.Folder,
            "--out", run, "--n", "24", "--n-test", "8", "--width", "16", "--steps", "100000", "--lr", "0.01", "--threads", "1",
            "--checkpoint-every", "1000000" }.Select(a => $"'{a}'"));
        var start = new ProcessStartInfo(Script) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-q", "-e", "-f", "-c", $"echo $$ > '{pidFile}'; exec {probes}", "/dev/null" }) start.ArgumentList.Add(a);
        start.Environment["TERM"] = "xterm";
        start.Environment["COLUMNS"] = "80";
        foreach (var ci in new[] { "CI", "TF_BUILD", "GITHUB_ACTIONS", "GITLAB_CI", "TRAVIS", "APPVEYOR", "JENKINS_URL", "TEAMCITY_VERSION" })
            start.Environment.Remove(ci);      // Spectre turns its live display off under a CI server
        using var p = Process.Start(start)!;
        using var reaper = new Reaper(p);      // a failed assertion must not leave a 100,000-step run behind
        var terminal = new StringBuilder();
        var reader = Task.Run(async () =>
        {
            var buffer = new char[4096];
            int read;
            while ((read = await p.StandardOutput.ReadAsync(buffer)) > 0)
                lock (terminal) terminal.Append(buffer, 0, read);
        });
        string Screen() { lock (terminal) return terminal.ToString(); }

        var clock = Stopwatch.StartNew();
        bool Started() => File.Exists(Path.Combine(run, "checkpoint.json")) && Screen().Contains('━');
        while (!Started() && clock.Elapsed.TotalSeconds < 60) await Task.Delay(50);
        Assert.True(Screen().Contains('━'), $"no live progress bar in the terminal:\n{Screen()}");
        // The time left needs a few trained steps after the first (cold) probe: on a loaded machine that is more than 500 ms.
        var left = new System.Text.RegularExpressions.Regex(@"\d+:\d\d left");
        while (!left.IsMatch(Screen()) && clock.Elapsed.TotalSeconds < 60) await Task.Delay(100);
        // The header names the run directory before the first step; the bar says which step of how many and the time left.
        Assert.Contains($"probes train → {run}", Screen());
        Assert.Matches(@"step [\d,]+/[\d,]+ · ", Screen());
        Assert.Matches(@"\d+:\d\d left", Screen());

        // A process started with SIGINT ignored (e.g. from a non-interactive shell's background job) cannot receive
        // Ctrl-C; it then gets SIGTERM, which takes the same acknowledgement path.
        int pid = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
        bool sigintIgnored = SigintIgnored(pid);
        if (sigintIgnored)
        {
            output.WriteLine("SIGINT is ignored in this process tree: sending SIGTERM instead of Ctrl-C");
            Process.Start("kill", ["-TERM", pid.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
        }
        else
        {
            p.StandardInput.Write('\x03');       // Ctrl-C: the terminal's line discipline sends SIGINT to probes
            p.StandardInput.Flush();
        }
        Assert.True(p.WaitForExit(30_000), "did not stop after Ctrl-C");
        await reader.WaitAsync(TimeSpan.FromSeconds(10));
        var screen = Screen();
        output.WriteLine(screen.Length > 3000 ? screen[^3000..] : screen);

        Assert.Equal(ExitCodes.Interrupted, p.ExitCode);
        var acknowledged = AcknowledgedAboveTheBar().Match(screen);
        Assert.True(acknowledged.Success, "the acknowledgement must be drawn above the live bar, not under it");
        Assert.Equal(sigintIgnored ? "SIGTERM" : "SIGINT", acknowledged.Groups[1].Value);
        Assert.Contains('━', screen[acknowledged.Index..]);        // the bar is drawn again below it
        Assert.DoesNotContain("   at ", screen);
        var checkpoint = File.ReadAllText(Path.Combine(run, "checkpoint.json"));
        Assert.Contains("\"completed\": false", checkpoint);
        int step = System.Text.Json.JsonDocument.Parse(checkpoint).RootElement.GetProperty("step").GetInt32();
        Assert.True(step > 0, "the checkpoint is the one written on Ctrl-C, not step 0's");
        Assert.Equal(step + 1, File.ReadAllLines(Path.Combine(run, "train.csv")).Length);
    }

    /// <summary>Kills the terminal and probes under it if they are still running when the test ends.</summary>
    private sealed class Reaper(Process process) : IDisposable
    {
        public void Dispose()
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    /// <summary>Whether SIGINT (signal 2, bit 1 of SigIgn) is ignored in the process.</summary>
    private static bool SigintIgnored(int pid)
    {
        var line = File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return (ulong.Parse(line["SigIgn:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture) & 0b10) != 0;
    }
}
