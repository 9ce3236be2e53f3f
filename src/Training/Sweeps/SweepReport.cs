using System.Text.Json.Nodes;
using Training.Runs;

namespace Training.Sweeps;

/// <summary>
/// One row per sweep point: the settings that vary, its status, and from its summary.json the final loss and
/// accuracy, the EOS numbers (onset step, mean ± std of η·λ₁ after onset, fraction within ±5% of 2, crossings,
/// the two-step slope and R², the optimizer's edge after its onset) and the wall time; written as sweep-report.csv and sweep-report.html.
/// </summary>
internal static class SweepReport
{
    private static readonly (string Column, Func<JsonObject?, JsonNode?> Read)[] Measures =
    [
        ("steps", s => s?["step"]), ("final_loss", s => (s?["final"] as JsonObject)?["loss"]),
        ("final_accuracy", s => (s?["final"] as JsonObject)?["accuracy"]),
        ("reached_edge", s => Eos(s)?["reached_edge"]), ("onset_step", s => Eos(s)?["onset_step"]),
        ("mean_eta_lambda1_after_onset", s => Eos(s)?["mean_sharpness_after_onset"]),
        ("std_eta_lambda1_after_onset", s => Eos(s)?["std_sharpness_after_onset"]),
        ("fraction_within_5_percent", s => Eos(s)?["fraction_within_5_percent"]), ("crossings", s => Eos(s)?["crossings_lambda1"]),
        ("edge_onset_step", s => Eos(s)?["edge_onset_step"]), ("mean_edge_after_onset", s => Eos(s)?["mean_edge_after_onset"]),
        ("std_edge_after_onset", s => Eos(s)?["std_edge_after_onset"]),
        ("edge_fraction_within_5_percent", s => Eos(s)?["edge_fraction_within_5_percent"]),
        ("mean_edge_mid_after_onset", s => Eos(s)?["mean_edge_mid_after_onset"]),
        ("std_edge_mid_after_onset", s => Eos(s)?["std_edge_mid_after_onset"]),
        ("two_step_slope", s => Eos(s)?["two_step_slope"]), ("two_step_r_squared", s => Eos(s)?["two_step_r_squared"]),
        ("wall_seconds", s => s?["wall_seconds"]), ("threads", s => s?["threads"]),
    ];

    public static (string Csv, string Html, List<SweepStatus> Rows) Write(string sweepDir)
    {
        var manifest = SweepManifest.Read(sweepDir);
        var rows = manifest.Points.Select(p => SweepStatus.Of(sweepDir, p)).ToList();
        var header = new[] { "index" }.Concat(manifest.Axes).Append("status").Concat(Measures.Select(m => m.Column)).Append("run_dir").ToArray();
        var table = manifest.Points.Select(p =>
        {
            var s = rows[p.Index];
            return new[] { p.Index.ToString() }.Concat(manifest.Axes.Select(a => Text(p.Settings[a])))
                .Append(s.State).Concat(Measures.Select(m => Text(m.Read(s.Summary)))).Append(p.RunDir).ToArray();
        }).ToList();
        var csv = Path.Combine(sweepDir, "sweep-report.csv");
        if (File.Exists(csv)) File.Delete(csv);                        // the report is derived: rewritten whole
        using (var trace = new CsvTrace(csv, header))
            foreach (var row in table) trace.WriteFields(row);
        var html = Path.Combine(sweepDir, "sweep-report.html");
        File.WriteAllText(html, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sweep report</title>"
            + "<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px}</style></head><body>"
            + $"<h1>Sweep {System.Net.WebUtility.HtmlEncode(sweepDir)}</h1><table><tr>"
            + string.Concat(header.Select(h => $"<th>{h}</th>")) + "</tr>"
            + string.Concat(table.Select(r => "<tr>" + string.Concat(r.Select(c => $"<td>{System.Net.WebUtility.HtmlEncode(Shown(c))}</td>"))
                + "</tr>"))
            + "</table>" + string.Concat(Reports.SweepFigures.Draw(sweepDir, manifest,
                rows).Select(f => $"<p><img src=\"{f}\" style=\"max-width:100%\"></p>"))
            + "</body></html>");
        return (csv, html, rows);
    }

    private static JsonObject? Eos(JsonObject? summary) => summary?["eos"] as JsonObject;

    /// <summary>A cell for a reader: numbers to 5 significant digits (the CSV keeps every digit).</summary>
    private static string Shown(string cell) =>
        cell.Contains('.') && double.TryParse(cell, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture,
            out double x) ? x.ToString("G5", System.Globalization.CultureInfo.InvariantCulture) : cell;

    private static string Text(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v when v.TryGetValue(out double d) => CsvTrace.Format(d),
        JsonValue v when v.TryGetValue(out string? s) => s ?? "",
        _ => node.ToJsonString(),
    };
}
