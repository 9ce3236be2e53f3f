using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Training.Flows;
using Training.Runs;

namespace Training.Reports;

/// <summary>
/// report.md and a self-contained report.html (figures embedded as data: URIs, no scripts, no network) with
/// the configuration, the EOS numbers and the figures.
/// </summary>
internal static class ReportWriter
{
    public static (string Markdown, string Html) Write(RunTraces run, EosSummary s, IReadOnlyList<SavedFigure> figures, string folder)
    {
        var rows = Numbers(run, s);
        var md = new StringBuilder();
        md.AppendLine($"# Probes report: {run.Name}").AppendLine();
        md.AppendLine($"Run directory `{run.Path}`.").AppendLine();
        if (s.Diverged) md.AppendLine("**This run diverged** (a NaN or Inf in the loss); the traces below stop there.").AppendLine();
        if (s.NeverReachedEdge is { } never) md.AppendLine($"**This run {never}.**").AppendLine();
        md.AppendLine("| quantity | value |").AppendLine("| --- | --- |");
        foreach (var (k, v) in rows) md.AppendLine($"| {Cell(k)} | {Cell(v)} |");
        md.AppendLine().AppendLine("## Configuration").AppendLine().AppendLine("```json")
            .AppendLine(run.Settings.ToJsonString(new() { WriteIndented = true })).AppendLine("```");
        md.AppendLine().AppendLine("## Figures").AppendLine();
        foreach (var f in figures)
            md.AppendLine($"![{f.Name}]({Path.GetRelativePath(folder, f.PngPath)})").AppendLine().AppendLine(f.Caption).AppendLine();
        var mdPath = Path.Combine(folder, "report.md");
        File.WriteAllText(mdPath, md.ToString());

        var html = new StringBuilder();
        html.AppendLine("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.AppendLine($"<title>Probes report: {E(run.Name)}</title>");
        html.AppendLine("<style>body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}"
            + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}img{max-width:100%}"
            + "pre{background:#f6f6f6;padding:1em;overflow:auto}.warn{color:#a00;font-weight:bold}</style>");
        html.AppendLine("</head><body>");
        html.AppendLine($"<h1>Probes report: {E(run.Name)}</h1><p>Run directory <code>{E(run.Path)}</code>.</p>");
        if (s.Diverged) html.AppendLine("<p class=\"warn\">This run diverged (a NaN or Inf in the loss); the traces stop there.</p>");
        if (s.NeverReachedEdge is { } notReached) html.AppendLine($"<p class=\"warn\">This run {E(notReached)}.</p>");
        html.AppendLine("<table><tr><th>quantity</th><th>value</th></tr>");
        foreach (var (k, v) in rows) html.AppendLine($"<tr><td>{E(k)}</td><td>{E(v)}</td></tr>");
        html.AppendLine("</table><h2>Figures</h2>");
        foreach (var f in figures)
        {
            var data = Convert.ToBase64String(File.ReadAllBytes(f.PngPath));
            html.AppendLine($"<figure><img alt=\"{E(f.Name)}\" src=\"data:image/png;base64,{data}\">"
                + $"<figcaption>{E(f.Caption)}</figcaption></figure>");
        }
        html.AppendLine($"<h2>Configuration</h2><pre>{E(run.Settings.ToJsonString(new() { WriteIndented = true }))}</pre>");
        html.AppendLine("</body></html>");
        var htmlPath = Path.Combine(folder, "report.html");
        File.WriteAllText(htmlPath, html.ToString());
        return (mdPath, htmlPath);
    }

    public static List<(string, string)> Numbers(RunTraces run, EosSummary s)
    {
        string F(double? v, string format = "G5") => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "—";
        var rows = new List<(string, string)>
        {
            ("steps", s.Steps.ToString()),
            ("step size η", F(run.LearningRate)),
            ("final train loss / accuracy", $"{F(s.FinalLoss)} / {F(s.FinalAccuracy, "P2")}"),
            ("probed steps", s.ProbedSteps.ToString()),
            ("first step with η·λ₁ ≥ 2", !s.GradientDescent ? "— (GD's edge on the squared loss; this run's is the edge below)"
                : s.OnsetStep?.ToString()
                ?? (s.MaxSharpness is { } peak ? $"never (η·λ₁ peaked at {F(peak, "F4")}, step {s.MaxSharpnessStep})" : "never")),
            ("η·λ₁ after onset: mean ± std", s.MeanSharpnessAfterOnset is null ? "—" :
                $"{F(s.MeanSharpnessAfterOnset, "F4")} ± {F(s.StdSharpnessAfterOnset, "F4")}"),
            ("fraction of probed steps after onset within ±5% of 2", F(s.FractionWithin5Percent, "P1")),
            ("optimizer; first step with edge = λ₁(P⁻¹H)/threshold ≥ 1", $"{s.Optimizer}; " + (s.Edge is not { } e ? "—"
                : e.OnsetStep?.ToString() ?? $"never (edge peaked at {F(e.Max, "F4")}, step {e.MaxStep})")),
            ("edge after its onset: mean ± std; fraction within ±5% of 1", s.Edge is { Mean: not null } after
                ? $"{F(after.Mean, "F4")} ± {F(after.Std, "F4")}; {F(after.FractionWithin5Percent, "P1")}" : "—"),
            ("edge_mid, at the midpoint of each step, after the onset: mean ± std; fraction within ±5% of 1", s.Midpoint is { } mid
                ? $"{F(mid.Mean, "F4")} ± {F(mid.Std, "F4")}; {F(mid.FractionWithin5Percent, "P1")}" : "—"),
            ("crossings of 2 by η·λ₁ / by η·λ₂", s.CrossingsLambda1 is null ? "—" : $"{s.CrossingsLambda1} / {s.CrossingsLambda2}"),
            ("largest η·λ₂", F(s.MaxSharpnessLambda2, "F4")),
            ("two-step fit (z₁)ₜ₊₂−(z₁)ₜ on 2yₜ(z₁)ₜ: slope, intercept, R², pairs, steps",
                s.TwoStep is { } t ? $"{F(t.Slope, "F4")}, {F(t.Intercept, "G3")}, {F(t.RSquared, "F4")}, {t.Pairs}, {t.FirstStep}–{t.LastStep}" :
                    "—"),
            ("fit of yₜ₊₂−yₜ on 1, z₁², y·z₁²: coefficients, R²",
                s.TwoStepY is { } y ? $"{string.Join(", ", y.Coefficients.Select(c => F(c, "G4")))}; R² {F(y.RSquared, "F3")}" : "—"),
            ("self-stabilization after onset: mean x_u² / mean δ² = 2α/β; median x_u²/δ²; probes", s.SelfStabilization is { } ss
                ? $"{F(ss.MeanX2, "G3")} / {F(ss.MeanDelta2, "G3")}; {F(ss.MedianRatio, "G3")}; {ss.Probes}" : "—"),
            ("mean max|eigenvalue| of Q₁ / of Q_r", $"{F(s.MeanQ1Norm)} / {F(s.MeanQrNorm)}" + (s.MeanQ1Norm is { } a && s.MeanQrNorm is { } b && b >
                0 ? $" (ratio {a / b:F2})" : "")),
        };
        if (run.Fit is { } fit)
        {
            double? Number(JsonNode? node) => node is JsonValue v && v.TryGetValue(out double x) ? x : null;    // null: non-finite
            // A hand-edited fit.json: what is not an object is left out.
            var d = fit[ReportJson.Key(nameof(Training.Fit.FitResult.D1P2))] as JsonObject;
            double? limit = Number(d?[ReportJson.Key(nameof(QuadraticFit.TwoStep.D1P2FitResult.PredictedLimit))]);
            double? observed = Number(fit[ReportJson.Key(nameof(Training.Fit.FitResult.ObservedMeanSharpness))]);
            if (d is not null)
                rows.Add(("D = 1, P = 2 model fit: ε, predicted limit 2 − ε/2, observed mean η·λ₁ in the window",
                    $"{F(Number(d["epsilon"]), "G4")}, {F(limit, "F4")}, {F(observed, "F4")}"));
            if (fit["taylor"] is JsonObject taylor)
            {
                string? part = taylor[ReportJson.Key(nameof(Training.Fit.TaylorSummary.PartStep))]?.ToString();
                rows.Add(("Taylor model from step " + taylor["from"],
                    "parts from the network at step " + (part ?? "— (never, over " + taylor["steps"] + " steps)")));
            }
        }
        foreach (var (from, flow) in CentralFlows(run.Path))
        {
            double? Get(string name) => flow[ReportJson.Key(name)] is JsonValue v && v.TryGetValue(out double x) ? x : null;
            string Of(string name, string format) => F(Get(name), format);
            rows.Add(($"central flow from step {from} to {flow["to"]}: predicted loss off GD's {flow["window"]}-step "
                + "average (mean, max, steps at the edge); max η·λ₁ of the central flow / GD / the stable flow; final ‖θ_GD − θ_CF‖ / "
                + "‖θ_GD − θ_GF‖",
                $"{Of(nameof(FlowSummary.MeanPredictedLossError), "P2")}, {Of(nameof(FlowSummary.MaxPredictedLossError), "P2")}, "
                + $"{flow["edge_rows"]}; {Of(nameof(FlowSummary.MaxCfEtaHess1), "F4")} / {Of(nameof(FlowSummary.MaxGdEtaHess1), "F4")} / "
                + $"{Of(nameof(FlowSummary.MaxGfEtaHess1), "F4")}; {Of(nameof(FlowSummary.FinalDistanceCf), "G3")} / "
                + $"{Of(nameof(FlowSummary.FinalDistanceGf), "G3")}"));
            if (Get(nameof(FlowSummary.RowsAtK)) is > 0 and var atK)
                rows.Add(("central flow: steps on which every tracked eigenvalue was critical (c = k: one beyond them goes unconstrained; "
                    + "rerun with a larger --k)", $"{atK:F0}"));
            if (flow[ReportJson.Key(nameof(FlowSummary.GdSelfStabilization))] is JsonObject stabilization)
            {
                string S(string name, string format) =>
                    F(stabilization[ReportJson.Key(name)] is JsonValue v && v.TryGetValue(out double x) ? x : null, format);
                rows.Add(("self-stabilization at GD's θ over the central flow's steps at the edge: mean x_u² / mean δ² = 2α/β; median "
                    + "x_u²/δ²; steps", $"{S("MeanX2", "G3")} / {S("MeanDelta2", "G3")}; {S("MedianRatio", "G3")}; {S("Probes", "F0")}"));
            }
        }
        return rows;
    }

    /// <summary>The summaries of the `probes flow` runs kept inside the run directory (RUN/flow-S), by their first step.</summary>
    private static IEnumerable<(int From, JsonObject Summary)> CentralFlows(string runPath)
    {
        var found = new List<(int, JsonObject)>();
        foreach (var dir in Directory.EnumerateDirectories(runPath))
        {
            var file = Path.Combine(dir, FlowSummary.FileName);
            if (!File.Exists(file)) continue;
            try
            {
                if (JsonNode.Parse(File.ReadAllText(file)) is JsonObject o && o["from"] is JsonValue v && v.TryGetValue(out int from))
                    found.Add((from, o));
            }
            catch (System.Text.Json.JsonException) { }      // a hand-edited summary: left out, as fit.json's parts are
        }
        return found.OrderBy(f => f.Item1);
    }

    private static string E(string s) => WebUtility.HtmlEncode(s);

    /// <summary>A Markdown table cell: a literal | (as in max|eigenvalue|) would start a new cell.</summary>
    private static string Cell(string s) => s.Replace("|", "\\|");
}
