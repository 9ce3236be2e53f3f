using System.Globalization;
using System.Diagnostics;
using Xunit;

namespace Probes.Tests;

/// <summary>
/// Real child `probes train` processes killed at chosen points (during a step, during a probe, during a
/// checkpoint write) and at a random moment, then resumed: the finished traces must equal an uninterrupted
/// run's byte for byte, but for the wall-clock columns (seconds, probe_seconds).
/// </summary>
public class ResumeTests(Xunit.Abstractions.ITestOutputHelper output)
{
    internal static string[] Args(string data, string run, string dtype) =>
    [
        "train", "--data", data, "--out", run, "--n", "24", "--n-test", "8", "--width", "16", "--steps", "12",
        "--lr", "0.05", "--dtype", dtype, "--threads", "1", "--checkpoint-every", "4", "--probe-every", "3",
        "--probe-k", "2", "--probe-max-iter", "80", "--spectra-at", "6", "--spectra-m", "2", "--test-every", "2",
    ];

    private static Process Start(IEnumerable<string> args, string? crashAt = null, string? signalAt = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "probes.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        if (crashAt is not null) start.Environment["PROBES_CRASH_AT"] = crashAt;
        if (signalAt is not null) start.Environment["PROBES_SIGNAL_AT"] = signalAt;
        var p = Process.Start(start)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    internal static int RunToEnd(IEnumerable<string> args, string? crashAt = null, string? signalAt = null)
    {
        using var p = Start(args, crashAt, signalAt);
        p.WaitForExit();
        return p.ExitCode;
    }

    /// <summary>A trace without its wall-clock column (the last one in train.csv and probes.csv).</summary>
    private static string[] Trace(string run, string file)
    {
        var lines = File.ReadAllLines(Path.Combine(run, file));
        return file == "spectra.csv" ? lines : lines.Select(l => l[..l.LastIndexOf(',')]).ToArray();
    }

    private static void AssertSameTraces(string expected, string actual)
    {
        foreach (var file in new[] { "train.csv", "probes.csv", "spectra.csv" })
            Assert.Equal(Trace(expected, file), Trace(actual, file));
        // Nothing half-written survives: every line has the header's number of fields.
        foreach (var file in new[] { "train.csv", "probes.csv" })
        {
            var lines = File.ReadAllLines(Path.Combine(actual, file));
            Assert.All(lines, l => Assert.Equal(lines[0].Count(c => c == ','), l.Count(c => c == ',')));
        }
    }

    [Theory]
    [InlineData("float64")]
    [InlineData("float32")]
    public void KilledAnywhereAndResumedGivesTheUninterruptedTraces(string dtype)
    {
        using var cifar = new SyntheticCifar(train: 32, test: 8);
        using var dir = new TempDirectory();
        var baseline = dir.Combine("baseline");
        // The baseline also times its working life (first checkpoint to exit), where the random kill must land.
        TimeSpan working;
        using (var p = Start(Args(cifar.Folder, baseline, dtype)))
        {
            var clock = Stopwatch.StartNew();
            while (!File.Exists(Path.Combine(baseline, "checkpoint.json")) && clock.Elapsed.TotalSeconds < 60) Thread.Sleep(5);
            var started = clock.Elapsed;
            p.WaitForExit();
            working = clock.Elapsed - started;
            Assert.Equal(0, p.ExitCode);
        }

        foreach (var crash in new[] { "step:6", "probe:9", "checkpoint:8" })
        {
            var run = dir.Combine(crash.Replace(':', '-'));
            Assert.NotEqual(0, RunToEnd(Args(cifar.Folder, run, dtype), crash));
            Assert.True(File.Exists(Path.Combine(run, "checkpoint.json")), $"{crash}: no checkpoint left");
            Assert.Equal(0, RunToEnd(["train", "--resume", run]));
            AssertSameTraces(baseline, run);
        }

        // SIGKILLs at random moments after the first checkpoint: one in each third of the baseline's working time,
        // from a seed that changes every run and is printed, so a failure can be replayed.
        int seed = Environment.GetEnvironmentVariable("PROBES_KILL_SEED") is { } given
            ? int.Parse(given, CultureInfo.InvariantCulture) : Environment.TickCount;
        output.WriteLine($"{dtype}: kill seed {seed} (PROBES_KILL_SEED={seed} replays it)");
        var random = new Random(seed);
        for (int trial = 0; trial < 3; trial++)
        {
            var delay = working * (0.05 + 0.75 * (trial + random.NextDouble()) / 3);
            // The baseline's working time is measured under whatever else the machine runs; a run that finishes before
            // its kill tested nothing, so the trial is repeated with half the delay (at most four times).
            for (int attempt = 0; ; attempt++, delay /= 2)
            {
                var killed = dir.Combine($"random-{trial}-{attempt}");
                bool alive;
                using (var p = Start(Args(cifar.Folder, killed, dtype)))
                {
                    var clock = Stopwatch.StartNew();
                    while (!File.Exists(Path.Combine(killed, "checkpoint.json")) && clock.Elapsed.TotalSeconds < 60) Thread.Sleep(10);
                    Thread.Sleep(delay);
                    alive = !p.HasExited;
                    if (alive) p.Kill();
                    p.WaitForExit();
                }
                output.WriteLine($"{dtype}: trial {trial}, attempt {attempt}: kill {delay.TotalMilliseconds:F0} ms after the first checkpoint "
                    + $"(the baseline worked {working.TotalMilliseconds:F0} ms){(alive ? "" : ": it had already finished")}");
                if (!alive)
                {
                    Assert.True(attempt < 3, "every attempt finished before its kill: nothing was tested");
                    continue;
                }
                // Killed after its last checkpoint, the run's steps are complete: a resume writes the weights files if the kill
                // came before they were both written (exit 0), and says the run is complete if they were (exit 2).
                bool completed = File.ReadAllText(Path.Combine(killed, "checkpoint.json")).Contains("\"completed\": true");
                bool weights = File.Exists(Path.Combine(killed, "weights.safetensors")) && File.Exists(Path.Combine(killed, "weights.pt"));
                Assert.Equal(completed && weights ? 2 : 0, RunToEnd(["train", "--resume", killed]));
                if (completed) Assert.Equal(File.ReadAllBytes(Path.Combine(baseline, "weights.safetensors")),
                    File.ReadAllBytes(Path.Combine(killed, "weights.safetensors")));
                AssertSameTraces(baseline, killed);
                break;
            }
        }
    }

    [Fact]
    public void SigtermDuringAProbeCancelsItAndTheResumedRunGivesTheUninterruptedTraces()
    {
        using var cifar = new SyntheticCifar(train: 32, test: 8);
        using var dir = new TempDirectory();
        var baseline = dir.Combine("baseline");
        Assert.Equal(0, RunToEnd(Args(cifar.Folder, baseline, "float32")));
        var run = dir.Combine("signalled");
        Assert.Equal(130, RunToEnd(Args(cifar.Folder, run, "float32"), signalAt: "probe:6"));   // a spectra step: Q too
        var checkpoint = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "checkpoint.json"))).RootElement;
        Assert.Equal(6, checkpoint.GetProperty("step").GetInt32());             // the probed step, to be redone
        Assert.Equal(1 + 6, File.ReadAllLines(Path.Combine(run, "train.csv")).Length);
        var log = File.ReadAllText(Path.Combine(run, "log.txt"));
        // One convention in the log: the checkpoint names the step a resume starts at, the end the last step with rows.
        Assert.Contains("Interrupted during the probe of step 6; checkpoint written: a resume starts at step 6", log);
        Assert.Contains("Finished: interrupted; last recorded step 5", log);
        Assert.Equal(0, RunToEnd(["train", "--resume", run]));
        AssertSameTraces(baseline, run);
    }

    /// <summary>--probes midpoint moves θ to the midpoint of the step and back, and keeps its last vector for the next start: a run
    /// killed during a step or a probe, or stopped by SIGTERM during a probe, resumes to the uninterrupted traces.</summary>
    [Fact]
    public void AMidpointRunInterruptedAnywhereResumesToTheUninterruptedTraces()
    {
        using var cifar = new SyntheticCifar(train: 32, test: 8);
        using var dir = new TempDirectory();
        string[] Midpoint(string run) => [.. Args(cifar.Folder, run, "float32"), "--probes", "ntk,hessian,midpoint", "--spectra-at", ""];
        var baseline = dir.Combine("baseline");
        Assert.Equal(0, RunToEnd(Midpoint(baseline)));
        Assert.All(OptimizerEdgeTests.CsvRows(Path.Combine(baseline, "probes.csv")), r => Assert.NotEqual("", r["edge_mid"]));
        foreach (var crash in new[] { "step:6", "probe:9" })
        {
            var run = dir.Combine(crash.Replace(':', '-'));
            Assert.NotEqual(0, RunToEnd(Midpoint(run), crash));
            Assert.Equal(0, RunToEnd(["train", "--resume", run]));
            AssertSameTraces(baseline, run);
        }
        var signalled = dir.Combine("signalled");
        Assert.Equal(130, RunToEnd(Midpoint(signalled), signalAt: "probe:6"));
        Assert.Equal(0, RunToEnd(["train", "--resume", signalled]));
        AssertSameTraces(baseline, signalled);
    }

    [Fact]
    public void ResumeRefusesWhatItCannotDo()
    {
        using var cifar = new SyntheticCifar(train: 32, test: 8);
        using var dir = new TempDirectory();
        var run = dir.Combine("run");
        Assert.Equal(0, RunToEnd(Args(cifar.Folder, run, "float64")));
        var (exit, _, err) = CommandLineTests.Probes("train", "--resume", run);
        Assert.Equal(2, exit);
        Assert.Contains("already completed step 12", err);
        (exit, _, err) = CommandLineTests.Probes("train", "--resume", run, "--lr", "0.1");
        Assert.Equal(2, exit);
        Assert.Contains("drop --lr", err);
        (exit, _, err) = CommandLineTests.Probes("train", "--resume", dir.Combine("nothing"));
        Assert.Equal(2, exit);
        Assert.Contains("no such run directory", err);

        // Extending a finished run continues it.
        Assert.Equal(0, RunToEnd(["train", "--resume", run, "--steps", "14"]));
        Assert.Equal(1 + 15, File.ReadAllLines(Path.Combine(run, "train.csv")).Length);
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(run, "config.json")))!;
        Assert.Equal(14, config["settings"]!["steps"]!.GetValue<int>());
        Assert.Equal(12, config["resumes"]![0]!["from_step"]!.GetValue<int>());
    }

    [Fact]
    public void ADamagedCheckpointIsRefusedWithOneLineAndNoTraceIsTouched()
    {
        using var cifar = new SyntheticCifar(train: 32, test: 8);
        using var dir = new TempDirectory();
        var finished = dir.Combine("finished");
        Assert.Equal(0, RunToEnd(Args(cifar.Folder, finished, "float32")));
        var checkpoint = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(finished, "checkpoint.json")))!;
        var files = new[] { checkpoint["model"]!.GetValue<string>(), checkpoint["probe_state"]!.GetValue<string>() };
        var damages = new (string Name, Action<string> Apply)[]
        {
            ("truncated to half", f => { using var s = new FileStream(f, FileMode.Open); s.SetLength(s.Length / 2); }),
            ("truncated to 10 bytes", f => { using var s = new FileStream(f, FileMode.Open); s.SetLength(10); }),
            ("one byte flipped", f => { var b = File.ReadAllBytes(f); b[b.Length / 3] ^= 0x5a; File.WriteAllBytes(f, b); }),
            ("emptied", f => File.WriteAllBytes(f, [])),
        };
        int cases = 0, oneLine = 0, stackTraces = 0;
        long bytesLost = 0;
        foreach (var file in files)
            foreach (var (name, apply) in damages)
            {
                var run = dir.Combine($"case-{cases++}");
                CopyDirectory(finished, run);
                apply(Path.Combine(run, file));
                var before = Directory.GetFiles(run).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
                var (exit, _, err) = CommandLineTests.Probes("train", "--resume", run, "--steps", "14");
                var lines = err.Trim().Split('\n');
                if (exit == 2 && lines.Length == 1 && err.Contains("damaged")) oneLine++;
                if (err.Contains("   at ")) stackTraces++;
                foreach (var (f, bytes) in before)
                    if (!File.Exists(Path.Combine(run, f)) || !File.ReadAllBytes(Path.Combine(run,
                        f)).SequenceEqual(bytes)) bytesLost += bytes.Length;
                output.WriteLine($"{file,-24} {name,-22} exit {exit}: {lines[0]}");
            }
        output.WriteLine($"cases {cases}, one-line errors {oneLine}, stack traces {stackTraces}, bytes of earlier results lost {bytesLost}");
        Assert.Equal(cases, oneLine);
        Assert.Equal(0, stackTraces);
        Assert.Equal(0, bytesLost);
    }

    [Fact]
    public void EveryReadingCommandOnADamagedTraceIsOneLineOrAResult()
    {
        // plot, report and fit on a run whose config or trace is truncated or has a byte flipped: a result
        // or one line with exit 2, never a stack trace, and the run directory is left as it was.
        using var cifar = new SyntheticCifar(train: 32, test: 8);
        using var dir = new TempDirectory();
        var finished = dir.Combine("finished");
        Assert.Equal(0, RunToEnd(Args(cifar.Folder, finished, "float32")));
        int cases = 0, ok = 0, oneLine = 0, stackTraces = 0;
        long bytesLost = 0;
        foreach (var file in new[] { "config.json", "train.csv", "probes.csv", "spectra.csv" })
            foreach (var half in new[] { true, false })
            {
                var run = dir.Combine($"damaged-{cases}");
                CopyDirectory(finished, run);
                var path = Path.Combine(run, file);
                var bytes = File.ReadAllBytes(path);
                if (half) File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
                else { bytes[bytes.Length / 3] ^= 0x5a; File.WriteAllBytes(path, bytes); }
                var before = Directory.GetFiles(run).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
                foreach (var command in new[] { "plot", "report", "fit" })
                {
                    cases++;
                    var (exit, _, err) = CommandLineTests.Probes(command, run);
                    var lines = err.Trim().Split('\n', StringSplitOptions.RemoveEmptyEntries);
                    if (exit == 0) ok++;
                    else if (exit == 2 && lines.Count(l => !l.StartsWith("warning:", StringComparison.Ordinal)) == 1) oneLine++;
                    if (err.Contains("   at ")) stackTraces++;
                    output.WriteLine($"{file,-12} {(half ? "half" : "flipped"),-8} {command,-7} exit {exit}: {lines.LastOrDefault()}");
                }
                foreach (var (f, content) in before)
                    if (!File.ReadAllBytes(Path.Combine(run, f)).SequenceEqual(content)) bytesLost += content.Length;
            }
        output.WriteLine($"cases {cases}: results {ok}, one-line errors {oneLine}, stack traces {stackTraces}, bytes of earlier results lost "
            + $"{bytesLost}");
        Assert.Equal(cases, ok + oneLine);
        Assert.Equal(0, stackTraces);
        Assert.Equal(0, bytesLost);
    }

    internal static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
    }
}
