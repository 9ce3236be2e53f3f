using System.Text.Json.Nodes;
using Probes.Probing;
using Training.Runs;
using Training.Sweeps;

namespace Training.Reports;

/// <summary>
/// A sweep's figures: η·λ₁ of every run overlaid, labelled by its varying settings and coloured along the first
/// numeric axis (viridis, low to high), and the EOS onset against η.
/// </summary>
internal static class SweepFigures
{
    private static readonly ScottPlot.MarkerShape[] SiblingMarkers = [ScottPlot.MarkerShape.FilledCircle, ScottPlot.MarkerShape.OpenSquare,
        ScottPlot.MarkerShape.FilledTriangleUp, ScottPlot.MarkerShape.OpenDiamond];

    /// <summary>Draws into SWEEP/figures and returns the PNG paths relative to the sweep directory.</summary>
    public static List<string> Draw(string sweepDir, SweepManifest manifest, IReadOnlyList<SweepStatus> rows)
    {
        var folder = Path.Combine(sweepDir, "figures");
        Directory.CreateDirectory(folder);
        var saved = new List<string>();
        var sharpness = new Figure("sweep-sharpness", "η·λ₁ of the NTK across the sweep", "step", "η·λ₁");
        bool any = false;
        var colour = AxisColours(manifest);
        foreach (var p in manifest.Points)
        {
            var runPath = Path.Combine(sweepDir, p.RunDir);
            if (!File.Exists(Path.Combine(runPath, "probes.csv"))) continue;
            RunTraces run;
            try { run = RunTraces.Read(runPath); }
            catch (ProbesError) { continue; }
            var (steps, values) = run.Probe(ProbeColumns.EtaNtk1);
            if (steps.Length == 0) continue;
            var line = sharpness.Line(steps, values, string.Join(", ", manifest.Axes.Select(a => $"{a} {p.Settings[a]}")),
                colour?.Invoke(p.Settings));
            // The points that share a colour (both seeds of one η) differ by marker, along the other axes.
            int sibling = manifest.Points.Where(q => colour is not null && colour(q.Settings) == colour(p.Settings)).ToList().IndexOf(p);
            if (sibling > 0) (line.MarkerShape, line.MarkerSize) = (SiblingMarkers[(sibling - 1) % SiblingMarkers.Length], 5);
            any = true;
        }
        if (any)
        {
            sharpness.StabilityLine();
            saved.Add(Path.GetRelativePath(sweepDir, sharpness.Save(folder)));
        }
        if (manifest.Axes.Contains("lr"))
        {
            var onset = manifest.Points
                .Select(p => (Lr: Number(p.Settings["lr"]), Onset: Number((rows[p.Index].Summary?["eos"] as JsonObject)?["onset_step"])))
                .Where(x => x.Onset is not null && x.Lr is not null).ToList();
            if (onset.Count > 0)
            {
                var f = new Figure("sweep-onset", "EOS onset (first probe with η·λ₁ ≥ 2) against η", "η", "onset step");
                f.Points([.. onset.Select(x => x.Lr!.Value)], [.. onset.Select(x => x.Onset!.Value)], "runs");
                saved.Add(Path.GetRelativePath(sweepDir, f.Save(folder)));
            }
        }
        return saved;
    }

    /// <summary>A colour per point from the first axis whose values are all numbers, or null (the palette) when none is.</summary>
    private static Func<System.Text.Json.Nodes.JsonObject, ScottPlot.Color>? AxisColours(SweepManifest manifest)
    {
        static double? Number(JsonNode? n) =>
            n is JsonValue v && v.TryGetValue(out double x) ? x : null;
        foreach (var axis in manifest.Axes)
        {
            var values = manifest.Points.Select(p => Number(p.Settings[axis])).ToList();
            if (values.Any(v => v is null) || values.Distinct().Count() < 2) continue;
            double lo = values.Min()!.Value, hi = values.Max()!.Value;
            var map = new ScottPlot.Colormaps.Viridis();
            return settings => map.GetColor(0.9 * (Number(settings[axis])!.Value - lo) / (hi - lo));     // 0.9: the top is too pale
        }
        return null;
    }

    /// <summary>A number from a sweep's JSON, or null where it is absent or not a number (a summary is read while runs write it).</summary>
    private static double? Number(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue(out double x) ? x : null;
}
