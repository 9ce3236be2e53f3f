using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Training;
using Training.Config;
using Training.Reports;
using Training.Runs;
using Training.Sweeps;
using Training.Train;
using Xunit;

namespace Probes.Tests;

/// <summary>
/// Every file the tool reads back, every key in it, spoiled four ways: null, a value of another JSON type, the key twice,
/// and the key in both spellings (probe_tol and probe-tol). Each reader must give a result or one line that names the
/// file (exit 2 on the command line), never another exception (exit 1), and must change no file. Duplicates and
/// two spellings are always refused: System.Text.Json would silently keep one.
/// </summary>
public class RunFileTrustTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private sealed record Reader(string File, string Shown, Action Read);

    [Fact]
    public void EveryKeyOfEveryFileSpoiledFourWaysIsOneLineOrAResult()
    {
        using var cifar = new SyntheticCifar(train: 32, test: 8);
        using var dir = new TempDirectory();
        var run = dir.Combine("run");
        var settings = new TrainSettings
        {
            Data = cifar.Folder, Out = run, N = 8, NTest = 0, Width = 8, Steps = 2, ProbeEvery = 1, ProbeMaxIter = 40,
        };
        Assert.Equal(0, new Trainer(settings).Run());
        var fitted = SyntheticRun.Write(dir.Combine("fitted"), 40, t => t < 10 ? 1.9 : 2.03);
        Assert.Equal(0, CommandLineTests.Probes("fit", fitted).Exit);
        var sweep = dir.Combine("sweep");
        SweepManifest.FromGrid(new JsonObject { ["data"] = cifar.Folder, ["steps"] = 2, ["probe_every"] = 0 }, ["seed=0,1"]).Write(sweep);
        var configFile = dir.Combine("settings.json");
        File.WriteAllText(configFile, """{ "n": 8, "lr": 0.05, "probe_tol": 1e-6, "probes": ["ntk"], "spectra_at": [1], "init_weights": null }""");

        Reader[] readers =
        [
            new(configFile, "--config", () => SettingsResolver.Resolve(configFile, new JsonObject())),
            new(Path.Combine(run, "config.json"), "config.json", () =>
            {
                ConfigFile.Settings(run);
                ConfigFile.InitWeights(run);
                var traces = RunTraces.Read(run);
                ReportWriter.Numbers(traces, EosSummary.Of(traces));
            }),
            new(Path.Combine(run, "checkpoint.json"), "checkpoint.json", () =>
            {
                using var r = RunDirectory.ForReading(run);
                Checkpoint.Load(r);
            }),
            new(Path.Combine(sweep, "sweep.json"), "sweep.json", () =>
            {
                var manifest = SweepManifest.Read(sweep);
                foreach (var p in manifest.Points) SweepStatus.Of(sweep, p);
            }),
            new(Path.Combine(fitted, "fit.json"), "fit.json", () =>
            {
                var traces = RunTraces.Read(fitted);
                ReportWriter.Numbers(traces, EosSummary.Of(traces));
            }),
        ];
        var failures = new List<string>();
        var table = new StringBuilder();
        foreach (var reader in readers)
        {
            var original = File.ReadAllText(reader.File);
            var root = JsonNode.Parse(original)!.AsObject();
            reader.Read();                                              // the unspoiled file reads
            var counts = new Dictionary<string, (int Refused, int Read)>();
            foreach (var (keyPath, spoil, text) in Spoilt(root))
            {
                File.WriteAllText(reader.File, text);
                var before = Snapshot(dir.Path);
                string verdict;
                try
                {
                    reader.Read();
                    verdict = "read";
                    if (spoil is "duplicate" or "both spellings") failures.Add($"{reader.Shown} {keyPath} {spoil}: accepted");
                }
                catch (ProbesError e) when (e.ExitCode == ExitCodes.BadInput && !e.Message.Contains('\n')
                                            && e.Message.Contains(Path.GetFileName(reader.File)))
                {
                    verdict = "refused";
                }
                catch (Exception e)
                {
                    verdict = "failed";
                    failures.Add($"{reader.Shown} {keyPath} {spoil}: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
                }
                if (!Snapshot(dir.Path).SequenceEqual(before)) failures.Add($"{reader.Shown} {keyPath} {spoil}: a file changed");
                var c = counts.GetValueOrDefault(spoil);
                counts[spoil] = verdict == "refused" ? (c.Refused + 1, c.Read) : verdict == "read" ? (c.Refused, c.Read + 1) : c;
            }
            File.WriteAllText(reader.File, original);
            foreach (var (spoil, (refused, read)) in counts)
                table.AppendLine(System.Globalization.CultureInfo.InvariantCulture,
                    $"{reader.Shown,-16} {spoil,-15} {refused,4} refused in one line {read,4} read (a value it may hold or never reads)");
        }
        output.WriteLine(table.ToString());
        output.WriteLine($"{failures.Count} failures");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(40)));
    }

    [Theory]
    [InlineData("\"trace_bytes\": {", "\"trace_bytes\": { \"../victim.txt\": 0,")]
    [InlineData("\"model\": \"model-000002.pt\"", "\"model\": \"../victim.txt\"")]
    [InlineData("\"probe_state\": \"probe-state-000002.bin\"", "\"probe_state\": \"/tmp/../victim.txt\"")]
    public void AResumeNeverTouchesAFileThatCheckpointJsonNamesOutsideTheRun(string from, string to)
    {
        using var cifar = new SyntheticCifar(train: 16, test: 0);
        using var dir = new TempDirectory();
        var run = dir.Combine("run");
        Assert.Equal(0, CommandLineTests.Probes("train", "--data", cifar.Folder, "--n", "8", "--n-test", "0", "--width", "8", "--steps", "2",
            "--probe-every", "0", "--out", run).Exit);
        File.WriteAllText(dir.Combine("victim.txt"), "a researcher's notes");
        var checkpoint = Path.Combine(run, "checkpoint.json");
        var text = File.ReadAllText(checkpoint);
        Assert.Contains(from, text);
        File.WriteAllText(checkpoint, text.Replace(from, to));
        var before = Snapshot(dir.Path);
        var (exit, _, err) = CommandLineTests.Probes("train", "--resume", run, "--steps", "4");
        Assert.Equal(2, exit);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains("checkpoint.json", err);
        Assert.Equal(before, Snapshot(dir.Path));
        Assert.Equal("a researcher's notes", File.ReadAllText(dir.Combine("victim.txt")));
    }

    /// <summary>Each key of the object and of the objects inside it (one level), spoiled each way, as the file's text.</summary>
    private static IEnumerable<(string Key, string Spoil, string Text)> Spoilt(JsonObject root)
    {
        foreach (var (path, parent, key) in Keys(root).ToList())
        {
            var value = parent[key];
            JsonNode other = value switch
            {
                JsonValue v when v.GetValueKind() == JsonValueKind.String => JsonValue.Create(12.5),
                JsonValue => JsonValue.Create("text"),
                JsonArray => new JsonObject { ["a"] = 1 },
                JsonObject => new JsonArray(1, 2),
                _ => JsonValue.Create("text"),
            };
            yield return (path, "null", Replaced(root, parent, key, null));
            yield return (path, "wrong type", Replaced(root, parent, key, other));
            yield return (path, "duplicate", Written(root, parent, key, key));
            if (key.Contains('_')) yield return (path, "both spellings", Written(root, parent, key, key.Replace('_', '-')));
            else if (key.Contains('-')) yield return (path, "both spellings", Written(root, parent, key, key.Replace('-', '_')));
        }
    }

    private static IEnumerable<(string Path, JsonObject Parent, string Key)> Keys(JsonObject root)
    {
        foreach (var (key, value) in root)
        {
            yield return (key, root, key);
            if (value is JsonObject inner)
                foreach (var (k, _) in inner) yield return ($"{key}.{k}", inner, k);
        }
    }

    private static string Replaced(JsonObject root, JsonObject parent, string key, JsonNode? value)
    {
        var old = parent[key];
        parent[key] = value;
        var text = root.ToJsonString();
        parent[key] = old;
        return text;
    }

    /// <summary>The object's text with <paramref name="key"/> written a second time as <paramref name="again"/>.</summary>
    private static string Written(JsonObject root, JsonObject parent, string key, string again)
    {
        const string marker = "\"__probes_marker__\":0";
        var copy = parent[key]?.DeepClone();
        parent["__probes_marker__"] = 0;
        var text = root.ToJsonString();
        parent.Remove("__probes_marker__");
        return text.Replace(marker, $"{JsonSerializer.Serialize(again)}:{copy?.ToJsonString() ?? "null"}");
    }

    private static List<(string, string)> Snapshot(string folder) =>
        [.. Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => (f, Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))))];
}
