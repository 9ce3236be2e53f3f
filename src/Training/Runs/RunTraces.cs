using Probes.Probing;
using System.Text.Json.Nodes;

namespace Training.Runs;

/// <summary>
/// A finished (or interrupted) run directory read back for fits, plots and reports: its settings and its
/// traces. probes.csv and spectra.csv may be absent or empty (a run without probes); train.csv may not.
/// </summary>
internal sealed class RunTraces
{
    public required string Path { get; init; }
    public required string Name { get; init; }
    public required double LearningRate { get; init; }
    public required JsonObject Settings { get; init; }
    public required TraceTable Train { get; init; }
    public TraceTable? Probes { get; init; }
    public TraceTable? Spectra { get; init; }
    /// <summary>density.csv: SLQ densities of Q₁ and Q_r, if asked for.</summary>
    public TraceTable? Density { get; init; }
    /// <summary>taylor.csv from <c>probes fit --taylor-at</c>, if any.</summary>
    public TraceTable? Taylor { get; init; }
    /// <summary>fit.json from <c>probes fit</c>, if any.</summary>
    public JsonNode? Fit { get; init; }

    /// <summary>The same traces under another name (a comparison's label).</summary>
    public RunTraces Named(string name) => new()
    {
        Path = Path, Name = name, LearningRate = LearningRate, Settings = Settings, Train = Train, Probes = Probes, Spectra = Spectra,
        Density = Density, Taylor = Taylor, Fit = Fit,
    };

    public bool HasProbes => Probes is { RowCount: > 0 } p && p.Has(ProbeColumns.EtaNtk1) && p[ProbeColumns.EtaNtk1].Any(double.IsFinite);

    public static RunTraces Read(string path)
    {
        if (!Directory.Exists(path)) throw new ProbesError($"{path}: no such run directory.");
        var configPath = System.IO.Path.Combine(path, ConfigFile.Name);
        var settings = ConfigFile.SettingsNode(path);
        var typed = ConfigFile.Settings(path);              // every value of the right type, or one line naming the key
        TraceTable? Optional(string file, IReadOnlySet<string>? text = null)
        {
            var p = System.IO.Path.Combine(path, file);
            return File.Exists(p) ? TraceTable.Read(p, text) : null;
        }
        return new RunTraces
        {
            Path = path,
            Name = settings.ContainsKey("name") ? typed.Name : System.IO.Path.GetFileName(path),
            LearningRate = settings.ContainsKey("lr") ? typed.Lr : throw new ProbesError($"{configPath} has no lr setting."),
            Settings = settings,
            Train = TraceTable.Read(System.IO.Path.Combine(path, "train.csv")),
            Probes = Optional("probes.csv"),
            Spectra = Optional("spectra.csv", SpectrumValue.TextColumns),
            Taylor = Optional("taylor.csv"),
            Density = Optional("density.csv", DensityColumns.TextColumns),
            Fit = ReadFit(System.IO.Path.Combine(path, "fit.json")),
        };
    }

    private static JsonNode? ReadFit(string path)
    {
        if (!File.Exists(path)) return null;
        return Config.StrictJson.ReadObject(path, "fit.json");
    }

    /// <summary>The probed steps and one probe column, only rows where it is finite.</summary>
    public (double[] Steps, double[] Values) Probe(string column)
    {
        if (Probes is null) return ([], []);
        var steps = Probes["step"];
        var values = Probes[column];
        var keep = Enumerable.Range(0, steps.Length).Where(i => double.IsFinite(values[i])).ToArray();
        return (keep.Select(i => steps[i]).ToArray(), keep.Select(i => values[i]).ToArray());
    }
}
