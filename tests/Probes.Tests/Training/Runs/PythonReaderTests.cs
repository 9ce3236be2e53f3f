using System.Globalization;
using System.Text.Json.Nodes;
using Probes.Probing;
using Training.Runs;
using Xunit;

namespace Probes.Tests;

/// <summary>
/// python/probes_reader.py, run by Debian's Python with pandas (.ci/run installs python3-pandas): its schema file is the code's,
/// it reads a run's every trace value bit for bit with integer steps and counts, it joins a sweep's points with their summaries,
/// and a directory that is not a run is one line and exit 2.
/// </summary>
public class PythonReaderTests
{
    /// <summary>Runs a Python snippet with the reader importable; returns exit code, stdout, stderr.</summary>
    internal static (int Exit, string Out, string Err) Python(string code, params string[] args) =>
        Repository.Run("/usr/bin/python3",
            ["-c", $"import sys; sys.path.insert(0, {Quote(Path.Combine(Repository.Root, "python"))})\n" + code, .. args]);

    private static string Quote(string s) => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'") + "'";

    [Fact]
    public void TheSchemaFileIsTheCodesAndExpandsToEachFilesColumns()
    {
        var expected = ReaderSchema.Build().ToJsonString(new System.Text.Json.JsonSerializerOptions
        {
            WriteIndented = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping
        }) + "\n";
        var path = Path.Combine(Repository.Root, "python", ReaderSchema.FileName);
        if (!File.Exists(path) || File.ReadAllText(path) != expected)
        {
            File.WriteAllText(Path.Combine(Path.GetTempPath(), ReaderSchema.FileName), expected);
            Assert.Fail($"{path} is not the code's schema: the current one is in {Path.GetTempPath()}{ReaderSchema.FileName}");
        }
        var (exit, output, error) = Python("import json\nfrom probes_reader import schema\n"
            + "print(json.dumps({k: schema('probes.csv', k) for k in (1, 2, 3)}))");
        Assert.True(exit == 0, error);
        var columns = JsonNode.Parse(output)!;
        foreach (int k in new[] { 1, 2, 3 })
            Assert.Equal(ProbeColumns.Names(k), columns[k.ToString(CultureInfo.InvariantCulture)]!.AsArray().Select(c => c!.GetValue<string>()));
    }

    [Fact]
    public void ARunIsReadBitForBitWithIntegerStepsAndCounts()
    {
        using var cifar = new SyntheticCifar(train: 32, test: 8);
        using var dir = new TempDirectory();
        var run = dir.Combine("run");
        var (exit, _, err) = CommandLineTests.Probes("train", "--data", cifar.Folder, "--out", run, "--n", "24", "--width", "16",
            "--n-test", "8", "--steps", "6", "--lr", "0.05", "--probe-every", "2", "--probe-above", "100", "--spectra-at", "2",
            "--spectra-density", "2", "--threads", "1", "--probe-q-every", "1");
        Assert.True(exit == 0, err);
        var (code, output, error) = Python("""
            import json, math, sys
            from probes_reader import read_run
            run = read_run(sys.argv[1])
            def cells(frame):
                return {c: [None if v is None or (isinstance(v, float) and math.isnan(v)) or str(v) == '<NA>' else v
                            for v in frame[c].astype(object).tolist()] for c in frame.columns}
            print(json.dumps({"train": cells(run.train), "probes": cells(run.probes), "spectra": cells(run.spectra),
                              "density": cells(run.density), "dtypes": {c: str(t) for c, t in run.probes.dtypes.items()},
                              "status": run.summary["status"], "lr": run.settings["lr"]}))
            """, run);
        Assert.True(code == 0, error);
        var read = JsonNode.Parse(output)!;
        Assert.Equal("completed", read["status"]!.GetValue<string>());
        Assert.Equal(0.05, read["lr"]!.GetValue<double>());
        foreach (var file in new[] { "train", "probes", "spectra", "density" })
        {
            var lines = File.ReadAllLines(Path.Combine(run, file + ".csv"));
            var header = lines[0].Split(',');
            var table = read[file]!.AsObject();
            Assert.Equal(header, table.Select(p => p.Key));
            for (int c = 0; c < header.Length; c++)
            {
                var column = table[header[c]]!.AsArray();
                Assert.Equal(lines.Length - 1, column.Count);
                for (int r = 1; r < lines.Length; r++)
                {
                    string cell = lines[r].Split(',')[c];
                    var value = column[r - 1];
                    if (cell.Length == 0) Assert.Null(value);
                    else if (double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
                        Assert.Equal(d, value!.GetValue<double>());             // bit for bit: JSON carries the shortest round trip
                    else Assert.Equal(cell, value!.GetValue<string>());
                }
            }
        }
        var dtypes = read["dtypes"]!;
        Assert.Equal("Int64", dtypes["step"]!.GetValue<string>());
        Assert.Equal("Int64", dtypes["ntk_iters"]!.GetValue<string>());
        Assert.Equal("float64", dtypes["ntk_1"]!.GetValue<string>());
    }

    /// <summary>A diverged run writes NaN and ±Infinity: they read as floats, not as text, and not as a parse failure.</summary>
    [Fact]
    public void ADivergedRunsNonFiniteValuesAreReadAsFloats()
    {
        using var cifar = new SyntheticCifar(train: 32, test: 8);
        using var dir = new TempDirectory();
        var run = dir.Combine("run");
        var (exit, _, err) = CommandLineTests.Probes("train", "--data", cifar.Folder, "--out", run, "--n", "24", "--width", "16",
            "--n-test", "0", "--steps", "20", "--lr", "1e8", "--probe-every", "1", "--probe-above", "100", "--spectra-at", "",
            "--threads", "1", "--probes", "ntk,hessian");
        Assert.True(exit != 0, "the run diverges");
        Assert.Contains(File.ReadAllLines(Path.Combine(run, "train.csv")), l => l.Contains("NaN") || l.Contains("Infinity"));
        var (code, output, error) = Python("""
            import csv, math, sys
            from probes_reader import read_run
            run = read_run(sys.argv[1])
            checked = 0
            for name, frame in (("train.csv", run.train), ("probes.csv", run.probes)):
                rows = list(csv.DictReader(open(f"{sys.argv[1]}/{name}")))
                assert len(rows) == len(frame), name
                for i, row in enumerate(rows):
                    for column, cell in row.items():
                        value = frame[column].iloc[i]
                        if cell in ("", "NaN"):
                            assert value is None or str(value) == "<NA>" or math.isnan(value), (name, i, column, value)
                        else:
                            assert float(value) == float(cell), (name, i, column, value, cell)
                        checked += 1
                assert all(str(t) in ("float64", "Int64") for t in frame.dtypes), frame.dtypes
            print(checked)
            """, run);
        Assert.True(code == 0, error);
        Assert.True(int.Parse(output.Trim(), CultureInfo.InvariantCulture) > 20);
    }

    [Fact]
    public void ASweepIsItsPointsJoinedWithTheirSummariesAndANonRunIsOneLine()
    {
        using var cifar = new SyntheticCifar(train: 32, test: 8);
        using var dir = new TempDirectory();
        var sweep = dir.Combine("sweep");
        var (exit, _, err) = CommandLineTests.Probes("sweep", "create", sweep, "--grid", "lr=0.05,0.1", "--set", $"data={cifar.Folder}",
            "--set", "n=16", "--set", "width=8", "--set", "n-test=0", "--set", "steps=4", "--set", "probe-every=2", "--set",
            "probe-above=100", "--set", "threads=1");
        Assert.True(exit == 0, err);
        (exit, _, err) = CommandLineTests.Probes("sweep", "run", sweep, "--index", "0");
        Assert.True(exit == 0, err);
        var (code, output, error) = Python("""
            import sys
            from probes_reader import read_sweep
            frame = read_sweep(sys.argv[1])
            print(frame[["index", "lr", "status"]].to_csv(index=False), end="")
            print(frame.loc[0, "final.loss"])
            """, sweep);
        Assert.True(code == 0, error);
        var lines = output.Split('\n');
        Assert.Equal(["index,lr,status", "0,0.05,completed", "1,0.1,not started"], lines.Take(3));
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(sweep, "runs", "0000", "summary.json")))!;
        Assert.Equal(summary["final"]!["loss"]!.GetValue<double>(), double.Parse(lines[3], CultureInfo.InvariantCulture));

        (code, output, error) = Python("import runpy, sys\nsys.argv = ['probes_reader.py', sys.argv[1]]\n"
            + "runpy.run_path(sys.path[0] + '/probes_reader.py', run_name='__main__')", dir.Path);
        Assert.Equal(2, code);
        Assert.Equal($"probes_reader: {dir.Path} is not a probes run directory (it has no config.json and train.csv)", error.TrimEnd('\n'));
    }
}
