using System.Text.Json;
using System.Text.Json.Nodes;
using Training.Config;
using Training.Runs;

namespace Training.Sweeps;

/// <summary>One point of a sweep: its index, the settings that differ from the base, and its run directory.</summary>
internal sealed record SweepPoint(int Index, JsonObject Settings, string RunDir);

/// <summary>
/// sweep.json: the sweep's base settings (train's keys, as in a config file) and its points, the Cartesian
/// product of the --grid axes in order, each an ordinary run directory under runs/. Written once; creating
/// the same sweep again is a no-op and a different one in the same directory is refused, so a sweep is never
/// overwritten.
/// </summary>
internal sealed record SweepManifest(JsonObject Base, IReadOnlyList<string> Axes, IReadOnlyList<SweepPoint> Points)
{
    public const string FileName = "sweep.json";

    /// <summary>The axes "key=v1,v2,…" (numbers where they parse, text otherwise) over the base layer.</summary>
    public static SweepManifest FromGrid(JsonObject baseSettings, IReadOnlyList<string> grid)
    {
        var axes = grid.Select(ParseAxis).ToList();
        if (axes.Count == 0) throw new ProbesError("a sweep needs at least one --grid KEY=V1,V2,… axis.");
        var duplicate = axes.GroupBy(a => SettingKeys.Of(a.Key)).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ProbesError(
                $"--grid {string.Join(" and --grid ", duplicate.Select(a => a.Key).Distinct())} set the same key twice; keep one axis.");
        IEnumerable<JsonObject> points = [new JsonObject()];
        foreach (var (key, values) in axes)
            points = points.SelectMany(p => values.Select(v => { var q = (JsonObject)p.DeepClone(); q[key] = v.DeepClone(); return q; })).ToList();
        var list = points.Select((p, i) => new SweepPoint(i, p, RunDirOf(i))).ToList();
        // Every point must resolve to valid settings now, not on the cluster an hour later.
        foreach (var p in list) SettingsValidator.RequireRunnable(Resolve(baseSettings, p, "check"));
        return new SweepManifest(baseSettings, [.. axes.Select(a => a.Key)], list);
    }

    /// <summary>A point's full settings: defaults, then the base layer, then the point's values, then its run directory.</summary>
    public static TrainSettings Resolve(JsonObject baseSettings, SweepPoint point, string runPath)
    {
        var layer = SettingKeys.Normalized(baseSettings);
        foreach (var (key, value) in point.Settings) layer[SettingKeys.Of(key)] = value?.DeepClone();
        layer["out"] = runPath;
        layer["name"] ??= $"sweep-{point.Index:D4}";
        try { return SettingsResolver.Resolve(null, layer, "its settings (--set, --config, --grid)"); }
        catch (ProbesError e) { throw new ProbesError($"sweep point {point.Index} ({point.Settings.ToJsonString()}): {e.Message}"); }
    }

    private static (string Key, JsonNode[] Values) ParseAxis(string axis)
    {
        int eq = axis.IndexOf('=');
        if (eq <= 0 || eq == axis.Length - 1) throw new ProbesError($"--grid '{axis}' is not KEY=V1,V2,….");
        var values = axis[(eq + 1)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(ParseValue).ToArray();
        return (axis[..eq].Trim(), values);
    }

    /// <summary>A setting's value as typed: an integer, a number, or text (as in a config file).</summary>
    public static JsonNode ParseValue(string text)
    {
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        if (long.TryParse(text, System.Globalization.NumberStyles.Integer, invariant, out long n)) return JsonValue.Create(n);
        if (double.TryParse(text, System.Globalization.NumberStyles.Float, invariant, out double d)) return JsonValue.Create(d);
        return JsonValue.Create(text);
    }

    public void Write(string sweepDir)
    {
        Directory.CreateDirectory(sweepDir);
        var path = Path.Combine(sweepDir, FileName);
        var text = ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        if (File.Exists(path))
        {
            if (File.ReadAllText(path) == text) return;               // the same sweep: idempotent
            throw new ProbesError($"{sweepDir} already holds a different sweep; choose another directory.");
        }
        RunDirectory.WriteAtomically(path, s => { using var w = new StreamWriter(s, leaveOpen: true); w.Write(text); });
    }

    public static SweepManifest Read(string sweepDir)
    {
        var path = Path.Combine(sweepDir, FileName);
        if (!File.Exists(path)) throw new ProbesError($"{path} is missing: not a sweep directory (create one with probes sweep create).");
        var root = StrictJson.ReadObject(path, "a sweep manifest");
        ProbesError Bad(string what) => new($"{path} is not a readable sweep manifest: {what}.");
        var baseSettings = root["base"] as JsonObject ?? throw Bad("'base' is not an object");
        var axes = (root["axes"] as JsonArray ?? throw Bad("'axes' is not a list"))
            .Select(a => a is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>()
                : throw Bad($"an axis is {a?.ToJsonString() ?? "null"}"))
            .ToList();
        var points = new List<SweepPoint>();
        foreach (var node in root["points"] as JsonArray ?? throw Bad("'points' is not a list"))
        {
            int i = points.Count;
            var point = node as JsonObject ?? throw Bad($"point {i} is not an object");
            if (point["index"] is not JsonValue index || index.GetValueKind() != JsonValueKind.Number || index.ToJsonString() != $"{i}")
                throw Bad($"point {i} has index {point["index"]?.ToJsonString() ?? "null"}");
            var settings = point["settings"] as JsonObject ?? throw Bad($"point {i}'s 'settings' is not an object");
            // The run directory is the tool's own name for the point, never a path that a hand edit can send elsewhere.
            if (point["run_dir"] is not JsonValue dir || dir.GetValueKind() != JsonValueKind.String || dir.GetValue<string>() != RunDirOf(i))
                throw Bad($"point {i} has run_dir {point["run_dir"]?.ToJsonString() ?? "null"}, not \"{RunDirOf(i)}\"");
            foreach (var (key, value) in settings) SettingsResolver.CheckType(key, value, $"{path} point {i}");
            points.Add(new SweepPoint(i, (JsonObject)settings.DeepClone(), RunDirOf(i)));
        }
        foreach (var (key, value) in baseSettings) SettingsResolver.CheckType(key, value, $"{path} base");
        return new SweepManifest((JsonObject)baseSettings.DeepClone(), axes, points);
    }

    private static string RunDirOf(int index) => $"runs/{index:D4}";

    private JsonObject ToJson() => new()
    {
        ["base"] = Base.DeepClone(),
        ["axes"] = new JsonArray([.. Axes.Select(a => (JsonNode)JsonValue.Create(a))]),
        ["points"] = new JsonArray([.. Points.Select(p => (JsonNode)new JsonObject
        {
            ["index"] = p.Index, ["settings"] = p.Settings.DeepClone(), ["run_dir"] = p.RunDir,
        })]),
    };
}
