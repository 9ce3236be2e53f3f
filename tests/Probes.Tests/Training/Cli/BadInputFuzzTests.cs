using Xunit;

namespace Probes.Tests;

/// <summary>
/// Bad input as a new user gives it, to the commands not covered by the train/plot/report/fit tests: every
/// numeric option of every `quad` command with NaN, a negative, zero, 1e300 and 1e-300 (no NaN in a table of a run that
/// exits 0), and `bench --run`, `compare` and `export` on a
/// run whose files are truncated or have a byte flipped. Each case must give a result or one line with a
/// documented exit code (2 bad input, 3 diverged), never a stack trace, and must leave earlier files as they were.
/// </summary>
public class BadInputFuzzTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>Each quad command with small settings (so a case that runs is quick) and the options to spoil.</summary>
    private static readonly (string[] Command, string[] Options)[] QuadCases =
    [
        (["quad", "simulate", "--steps", "50"], ["--eps", "--e-tilde", "--z0", "--t0", "--steps"]),
        (["quad", "simulate", "--model", "random", "--D", "4", "--P", "8", "--steps", "5"],
            ["--D", "--P", "--sigma-z", "--sigma-j", "--lr", "--seed"]),
        (["quad", "phase", "--D", "4", "--P", "8", "--grid", "2", "--seeds", "2", "--max-steps", "20"],
            ["--D", "--P", "--grid", "--sigma-z", "--sigma-j", "--seeds", "--steps", "--max-steps", "--settle", "--lr", "--threads"]),
        (["quad", "sharpening", "--sizes", "4:8", "--sigma-z", "0.5", "--seeds", "4", "--flow-seeds", "2", "--flow-steps", "3"],
            ["--sizes", "--sigma-z", "--sigma-j", "--seeds", "--flow-time", "--flow-steps", "--flow-seeds"]),
        (["quad", "nonlinearity", "--D", "4", "--P", "8", "--sigma-z", "0.5", "--sigma-j", "0.5", "--lr", "1", "--seeds", "4"],
            ["--D", "--P", "--sigma-z", "--sigma-j", "--lr", "--seeds"]),
    ];

    private static bool OneLineOrResult(int exit, string err, out string last)
    {
        var lines = err.Trim().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.StartsWith("warning:", StringComparison.Ordinal)).ToArray();
        last = lines.LastOrDefault() ?? "";
        return !err.Contains("   at ") && (exit == 0 || (exit is 2 or 3 && lines.Length == 1));
    }

    [Fact]
    public void EveryQuadOptionWithABadNumberIsOneLineOrAResult()
    {
        using var dir = new TempDirectory();
        var failures = new List<string>();
        int cases = 0;
        foreach (var (command, options) in QuadCases)
            foreach (var option in options)
                foreach (var value in new[] { "NaN", "-1", "0", "1e300", "1e-300" })
                {
                    // An option the command already sets gets the bad value in place (a repeated option is only a parse error).
                    int at = Array.IndexOf(command, option);
                    string[] args = at >= 0 ? [.. command[..(at + 1)], value, .. command[(at + 2)..], "--out", dir.Combine($"case-{cases++}")]
                        : [.. command, option, value, "--out", dir.Combine($"case-{cases++}")];
                    var (exit, _, err) = CommandLineTests.Probes(args);
                    bool fine = OneLineOrResult(exit, err, out var last);
                    output.WriteLine($"{string.Join(' ', command[..2])} {option} {value}: exit {exit} {last}");
                    if (!fine) failures.Add($"{string.Join(' ', args)} → exit {exit}: {err.Trim().Split('\n').FirstOrDefault()}");
                    // A result is a number: exit 0 with NaN in a table is a silent failure (extreme values overflow float64).
                    if (exit == 0 && Directory.GetFiles(args[^1], "*.csv").FirstOrDefault(f => File.ReadAllText(f).Contains("NaN")) is { } nan)
                        failures.Add($"{string.Join(' ', args)} → exit 0 with NaN in {Path.GetFileName(nan)}");
                }
        // Values that parse but cannot run: a trajectory longer than memory, a phase batch larger than memory, a thread pool libgomp
        // aborts on, an activation that does not exist.
        foreach (var args in new[]
        {
            new[] { "bench", "--threads", "0" }, ["sweep", "run", dir.Combine("none"), "--threads", "-1"],
            ["quad", "simulate", "--steps", "2147483647", "--out", dir.Combine("long")],
            ["quad", "phase", "--grid", "100000", "--D", "4", "--P", "8", "--seeds", "1", "--out", dir.Combine("wide")],
            ["quad", "phase", "--threads", "2147483647", "--out", dir.Combine("threads")], ["bench", "--threads", "100000"],
            ["train", "--activation", "foo", "--out", dir.Combine("foo")], ["bench", "--scenario", "0"],
            ["bench", "--probe-steps", "2147483647", "--run", dir.Combine("none")],
        })
        {
            cases++;
            var (exit, _, err) = CommandLineTests.Probes(args);
            if (!(exit == 2 && OneLineOrResult(exit, err, out _))) failures.Add($"{string.Join(' ', args)} → exit {exit}: {err.Trim()}");
        }
        foreach (var value in new[] { "4", "0", "-1", "x" })
        {
            cases++;
            var (exit, _, err) = CommandLineTests.Probes("quad", "figure", value);
            if (!(exit == 2 && OneLineOrResult(exit, err, out _))) failures.Add($"quad figure {value} → exit {exit}: {err.Trim()}");
        }
        output.WriteLine($"{cases} cases, {failures.Count} failures");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void BenchCompareAndExportOnADamagedRunAreOneLineOrAResult()
    {
        using var cifar = new SyntheticCifar(train: 32, test: 8);
        using var dir = new TempDirectory();
        var finished = dir.Combine("finished");
        Assert.Equal(0, CommandLineTests.Probes(ResumeTests.Args(cifar.Folder, finished, "float32")).Exit);
        var checkpoint = File.ReadAllText(Path.Combine(finished, "checkpoint.json"));
        string model = Directory.GetFiles(finished, "model-*.pt").Single(), state = Directory.GetFiles(finished, "probe-state-*.bin").Single();
        var failures = new List<string>();
        int cases = 0;
        long bytesLost = 0;
        foreach (var file in new[] { "config.json", "checkpoint.json", Path.GetFileName(model), Path.GetFileName(state), "train.csv", "probes.csv" })
            foreach (var half in new[] { true, false })
            {
                var run = dir.Combine($"damaged-{cases}");
                ResumeTests.CopyDirectory(finished, run);
                var path = Path.Combine(run, file);
                var bytes = File.ReadAllBytes(path);
                if (half) File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
                else { bytes[bytes.Length / 3] ^= 0x5a; File.WriteAllBytes(path, bytes); }
                var before = Directory.GetFiles(run).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
                string[][] commands =
                [
                    ["bench", "--run", run, "--probe-steps", "1", "--threads", "1"],
                    ["compare", finished, run, "--out", dir.Combine($"compare-{cases}")],
                    ["export", run, "--out", dir.Combine($"export-{cases}")],
                ];
                foreach (var args in commands)
                {
                    cases++;
                    var (exit, _, err) = CommandLineTests.Probes(args);
                    bool fine = OneLineOrResult(exit, err, out var last);
                    output.WriteLine($"{file,-24} {(half ? "half" : "flipped"),-8} {args[0],-8} exit {exit}: {last}");
                    if (!fine)
                        failures.Add($"{file} {(half ? "half" : "flipped")} {args[0]} → exit {exit}: {err.Trim().Split('\n').FirstOrDefault()}");
                }
                foreach (var (f, content) in before)
                    if (!File.ReadAllBytes(Path.Combine(run, f)).SequenceEqual(content)) bytesLost += content.Length;
            }
        output.WriteLine($"{cases} cases, {failures.Count} failures, bytes of earlier results lost {bytesLost}");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Equal(0, bytesLost);
        Assert.Equal(checkpoint, File.ReadAllText(Path.Combine(finished, "checkpoint.json")));
    }
}
