using Probes.Probing;
using QuadraticFit.TwoStep;
using ScottPlot;
using Training.Runs;

namespace Training.Reports;

/// <summary>A saved figure with the sentence that says what it shows.</summary>
internal sealed record SavedFigure(string Name, string Caption, string PngPath);

/// <summary>
/// The figures of Agarwala et al. §5 from one or more runs (several runs are overlaid, e.g. two step sizes,
/// or the network against its Taylor model). Figures whose data a run lacks are skipped, not drawn empty.
/// </summary>
internal static class RunFigures
{
    public static List<SavedFigure> Draw(IReadOnlyList<RunTraces> runs, string folder)
    {
        Directory.CreateDirectory(folder);
        var overlay = new Overlay(runs);
        var probed = runs.Where(r => r.HasProbes).ToList();
        // The edge needs only the Hessian probed (--probes hessian), the rest the NTK's v₁ and z₁.
        var figures = Loss(overlay).Concat(Edge(overlay, [.. runs.Where(r => r.Probes is { RowCount: > 0 })]));
        if (probed.Count > 0)
            figures = figures.Concat(Sharpness(overlay, probed)).Concat(SelfStabilization(overlay, probed))
                .Concat(Z1(overlay, probed)).Concat(Z1EveryOtherStep(overlay, probed))
                .Append((QSpectrum(probed), "Q₁ = Σ v₁_α ∇²f_α against Q_r for a random unit output direction r: extreme eigenvalues "
                    + "(Figure 6, left)."))
                .Concat(QDensity(overlay, probed)).Concat(TwoStep(overlay, probed)).Concat(Taylor(runs))
                .Concat(NonlinearityRatio(overlay, probed)).Concat(NonlinearityCandidates(overlay, probed));
        // z₁ and the ratio start orders of magnitude larger than at the edge: the whole-run figure squashes the EOS phase flat,
        // so each gets a second figure from just before the first onset on.
        if (probed.Select(r => EosSummary.Of(r).OnsetStep).Where(s => s is not null).Min() is { } onset)
        {
            int from = Math.Max(onset - EosMargin, 0);
            figures = figures.Concat(Z1(overlay, probed, from)).Concat(NonlinearityRatio(overlay, probed, from));
        }
        return [.. figures.Where(f => f.Figure is { HasData: true }).Select(f => new SavedFigure(f.Figure!.Name, f.Caption, f.Figure.Save(folder)))];
    }

    /// <summary>The runs drawn together: a curve's legend names its run only when there are several.</summary>
    private sealed record Overlay(IReadOnlyList<RunTraces> Runs)
    {
        public string Label(RunTraces r, string what) => Runs.Count == 1 ? what : $"{r.Name}: {what}";
    }

    private static IEnumerable<(Figure? Figure, string Caption)> Loss(Overlay o)
    {
        bool squared = o.Runs.All(r => r.Settings["loss"] is not System.Text.Json.Nodes.JsonValue v || v.GetValue<string>() == "mse");
        var loss = new Figure("loss", "Loss and accuracy", "step", squared ? "loss  ½‖f − y‖²/n" : "loss L (each run's --loss)");
        var accuracyAxis = loss.Plot.Axes.Right;
        accuracyAxis.Label.Text = "accuracy";
        foreach (var r in o.Runs)
        {
            loss.Line(r.Train["step"], r.Train["loss"], o.Label(r, "train loss"));
            var (ts, tl) = Finite(r.Train["step"], r.Train["test_loss"]);
            if (ts.Length > 0) loss.Line(ts, tl, o.Label(r, "test loss"));
            loss.Line(r.Train["step"], r.Train["accuracy"], o.Label(r, "train accuracy")).Axes.YAxis = accuracyAxis;
            var (vs, va) = Finite(r.Train["step"], r.Train["test_accuracy"]);
            if (vs.Length > 0) loss.Line(vs, va, o.Label(r, "test accuracy")).Axes.YAxis = accuracyAxis;
        }
        yield return (loss, "Train and test loss (left axis) and accuracy (right axis) against step.");
    }

    private static IEnumerable<(Figure? Figure, string Caption)> Sharpness(Overlay o, List<RunTraces> probed)
    {
        var sharpness = new Figure("sharpness", "Sharpness: η·λ of the NTK and of the loss Hessian", "step", "η·λ");
        foreach (var r in probed)
        {
            Plotted(sharpness, r, ProbeColumns.EtaNtk1, o.Label(r, "η·λ₁ NTK"));
            Plotted(sharpness, r, ProbeColumns.EtaNtk2, o.Label(r, "η·λ₂ NTK"));
            Plotted(sharpness, r, ProbeColumns.EtaHessian1, o.Label(r, "η·λ₁ Hessian"));
        }
        sharpness.StabilityLine();
        yield return (sharpness,
            "η·λ₁ and η·λ₂ of the NTK Gram K = JJᵀ/n and η·λ₁ of the loss Hessian; the dashed line is the GD stability threshold 2 "
                + "(Figure 5, right).");
    }

    /// <summary>The edge figure's axis top when a run starts far above the edge.</summary>
    private const double EdgeAxisTop = 2;

    private static IEnumerable<(Figure? Figure, string Caption)> Edge(Overlay o, List<RunTraces> probed)
    {
        var withEdge = probed.Where(r => r.Probes!.Has(ProbeColumns.Edge) && r.Probe(ProbeColumns.Edge).Values.Length > 0).ToList();
        if (withEdge.Count == 0) yield break;
        var edge = new Figure("edge", "The optimizer's edge: λ₁(P⁻¹H) / its stability threshold", "step", "edge");
        bool midpoint = false;
        foreach (var r in withEdge)
        {
            Plotted(edge, r, ProbeColumns.Edge, o.Label(r, "edge"));
            midpoint |= Plotted(edge, r, ProbeColumns.EdgeMidpoint, o.Label(r, "edge_mid, at the step's midpoint"));
        }
        edge.StabilityLine(1, "edge = 1");
        // Adam's and RMSProp's first steps divide by P ≈ |g| and start at edge 3–30: shown, they would flatten the rest.
        double top = withEdge.SelectMany(r => r.Probe(ProbeColumns.Edge).Values).Max();
        if (top > EdgeAxisTop)
        {
            edge.Plot.Axes.AutoScale();
            edge.Plot.Axes.SetLimitsY(0, EdgeAxisTop);
        }
        yield return (edge, "edge = eff_hess_1 / threshold: λ₁(P⁻¹H) (λ₁(H) for GD and momentum) over the optimizer's stability threshold "
            + "(2/η, (2 + 2β)/η, …; docs/optimizers.md); the dashed line is the edge"
            + (midpoint ? "; edge_mid is the same at θ + ½Δθ, the centre of a period-2 oscillation" : "")
            + (top > EdgeAxisTop ? $"; the axis stops at {EdgeAxisTop} (the first steps reach {top:F1})." : "."));
    }

    private static IEnumerable<(Figure? Figure, string Caption)> SelfStabilization(Overlay o, List<RunTraces> probed)
    {
        var with = probed.Where(r => r.Probes!.Has(ProbeColumns.XU) && r.Probe(ProbeColumns.XU).Values.Length > 0).ToList();
        if (with.Count == 0) yield break;
        // log₁₀: x_u² grows geometrically over many decades past 2/η before it meets δ², which a linear axis flattens to 0.
        var f = new Figure("selfstab", "Self-stabilization: predicted δ² against the oscillation x_u²", "step",
            "log₁₀ squared displacement along u");
        foreach (var r in with)
        {
            var (s, x) = r.Probe(ProbeColumns.XU);
            var kept = Enumerable.Range(0, s.Length).Where(i => x[i] != 0).ToArray();
            f.Points([.. kept.Select(i => s[i])], [.. kept.Select(i => Math.Log10(x[i] * x[i]))], o.Label(r, "log₁₀ x_u² (GD)"));
            var (sd, d) = r.Probe(ProbeColumns.Delta2);
            f.Line(sd, [.. d.Select(Math.Log10)], o.Label(r, "log₁₀ δ², δ² = 2α/β"));
        }
        yield return (f, "The squared oscillation GD makes along the top Hessian eigenvector u, x_u² = (½η·u·∇L)², against "
            + "self-stabilization's prediction δ² = 2α/β (Damian, Nichani & Lee 2023, where α > 0), both as log₁₀.");
    }

    /// <summary>Steps before the first onset that the EOS-window figures keep, to show the approach.</summary>
    private const int EosMargin = 20;

    private static string Window(int? from) => from is { } f ? $" from step {f} (the EOS window)" : "";

    private static IEnumerable<(Figure? Figure, string Caption)> Z1(Overlay o, List<RunTraces> probed, int? from = null)
    {
        var z1 = new Figure(from is null ? "z1" : "z1-eos", "z₁ = v₁·z, every probed step" + Window(from), "step", "z₁");
        foreach (var r in probed) Plotted(z1, r, ProbeColumns.Z1, o.Label(r, "z₁"), markers: true, from: from);
        yield return (z1, "The residual's component along the top NTK eigenvector, with v₁'s sign aligned step to step (Figure 5, left)"
            + Window(from) + ".");
    }

    private static IEnumerable<(Figure? Figure, string Caption)> Z1EveryOtherStep(Overlay o, List<RunTraces> probed)
    {
        var zEven = new Figure("z1-every-other-step", "z₁ on even and on odd steps", "step", "z₁");
        foreach (var r in probed)
        {
            var (s, v) = r.Probe(ProbeColumns.Z1);
            var even = Enumerable.Range(0, s.Length).Where(i => (long)s[i] % 2 == 0).ToArray();
            var odd = Enumerable.Range(0, s.Length).Where(i => (long)s[i] % 2 != 0).ToArray();
            if (even.Length > 0) zEven.Points(even.Select(i => s[i]).ToArray(), even.Select(i => v[i]).ToArray(), o.Label(r, "even steps"));
            if (odd.Length > 0) zEven.Points(odd.Select(i => s[i]).ToArray(), odd.Select(i => v[i]).ToArray(), o.Label(r, "odd steps"));
        }
        yield return (zEven, "z₁ sampled every other step: the period-2 oscillation at EOS separates into two slow branches (Figure 5, middle).");
    }

    private static IEnumerable<(Figure? Figure, string Caption)> QDensity(Overlay o, List<RunTraces> probed)
    {
        var densities = probed.Where(r => r.Density is { RowCount: > 0 }).ToList();
        if (densities.Count == 0) yield break;
        var f = new Figure("q-density", "Spectral densities of Q₁ and Q_r (stochastic Lanczos quadrature)", "eigenvalue", "density");
        foreach (var r in densities)
        {
            var t = r.Density!;
            var ops = t.Text("operator");
            foreach (var group in Enumerable.Range(0, t.RowCount).GroupBy(i => (t["step"][i], ops[i])))
            {
                var rows = group.ToArray();
                f.Line(rows.Select(i => t["x"][i]).ToArray(), rows.Select(i => t["density"][i]).ToArray(),
                    o.Label(r, $"{(group.Key.Item2 == "q1" ? "Q₁" : "Q_r")} at step {group.Key.Item1}"));
            }
        }
        yield return (f, "Gaussian-smoothed SLQ estimates of the eigenvalue densities of Q₁ and Q_r at the --spectra-at steps.");
    }

    private static IEnumerable<(Figure? Figure, string Caption)> TwoStep(Overlay o, List<RunTraces> probed)
    {
        var twoStep = new Figure("two-step", "Two-step dynamics of z₁", "step", "value");
        var scatter = new Figure("two-step-scatter", "(z₁)ₜ₊₂ − (z₁)ₜ against 2·yₜ·(z₁)ₜ", "2·yₜ·(z₁)ₜ", "(z₁)ₜ₊₂ − (z₁)ₜ");
        bool anyPairs = false;
        foreach (var r in probed)
        {
            var steps = r.Probes!["step"];
            var zz = r.Probes[ProbeColumns.Z1];
            var yy = r.Probes[ProbeColumns.Y];
            var pairs = TwoStepFit.Pairs(steps, zz, yy, 0, int.MaxValue);
            if (pairs.Count == 0) continue;
            anyPairs = true;
            var t = pairs.Select(p => (double)p.T).ToArray();
            var lhs = pairs.Select(p => zz[p.J] - zz[p.I]).ToArray();
            var rhs = pairs.Select(p => 2 * yy[p.I] * zz[p.I]).ToArray();
            twoStep.Line(t, lhs, o.Label(r, "(z₁)ₜ₊₂ − (z₁)ₜ"));
            twoStep.Line(t, rhs, o.Label(r, "2·yₜ·(z₁)ₜ"));
            scatter.Points(rhs, lhs, o.Label(r, "steps"));
            if (TwoStepFit.Z1(steps, zz, yy) is { } fit)
            {
                double lo = rhs.Min(), hi = rhs.Max();
                scatter.Line([lo, hi], [fit.Intercept + fit.Slope * lo, fit.Intercept + fit.Slope * hi],
                    o.Label(r, $"fit: slope {fit.Slope:F3}, R² {fit.RSquared:F3}"));
            }
        }
        if (!anyPairs) yield break;
        yield return (twoStep, "The two sides of the two-step law (z₁)ₜ₊₂ − (z₁)ₜ ≈ 2·yₜ·(z₁)ₜ over steps (Figure 6, middle).");
        yield return (scatter, "The same as a scatter with the least-squares line; slope 1 and R² 1 mean the law holds exactly.");
    }

    private static IEnumerable<(Figure? Figure, string Caption)> Taylor(IReadOnlyList<RunTraces> runs)
    {
        foreach (var r in runs.Where(r => r.Taylor is { RowCount: > 0 }))
        {
            var t = r.Taylor!;
            var f = new Figure("taylor", $"{r.Name}: the network against its Taylor model from step {t["step"][0]}", "step",
                "η·λ₁ (left), loss (right)");
            var lossAxis = f.Plot.Axes.Right;
            lossAxis.Label.Text = "loss";
            f.Line(t["step"], t["net_eta_ntk_1"], "network η·λ₁");
            f.Line(t["step"], t["taylor_eta_ntk_1"], "Taylor model η·λ₁");
            f.Line(t["step"], t["net_loss"], "network loss").Axes.YAxis = lossAxis;
            f.Line(t["step"], t["taylor_loss"], "Taylor model loss").Axes.YAxis = lossAxis;
            f.StabilityLine();
            yield return (f, "GD on the network and on its exact second-order Taylor model at the same starting θ, same η (probes fit --taylor-at).");
            var zf = new Figure("taylor-z1", $"{r.Name}: z₁ of the network and of its Taylor model", "step", "z₁");
            zf.Line(t["step"], t["net_z1"], "network z₁", markers: true);
            zf.Line(t["step"], t["taylor_z1"], "Taylor model z₁", markers: true);
            yield return (zf, "z₁ of both, each with its own v₁ (sign-aligned step to step).");
        }
    }

    private static IEnumerable<(Figure? Figure, string Caption)> NonlinearityRatio(Overlay o, List<RunTraces> probed, int? from = null)
    {
        var ratio = new Figure(from is null ? "nl-ratio" : "nl-ratio-eos", "Nonlinearity of the z₁ update" + Window(from), "step",
            "z1_nl / z1_lin");
        var yAxis = ratio.Plot.Axes.Right;
        yAxis.Label.Text = "y = η·λ₁ − 2";
        foreach (var r in probed)
        {
            Plotted(ratio, r, ProbeColumns.NonlinearityRatio, o.Label(r, "ratio ½(η/n)²z₁²Q₁(Jᵀv₁,Jᵀv₁) / (−ηλ₁z₁)"), from: from);
            var (s, v) = From(r.Probe(ProbeColumns.Y), from);
            if (s.Length > 0) ratio.Line(s, v, o.Label(r, "y (right axis)")).Axes.YAxis = yAxis;
        }
        yield return (ratio,
            "Second-order over first-order term of the one-step z₁ update, with y on the right axis" + Window(from)
                + ". The paper's Figure 6 (right) plots this ratio without the ½, i.e. twice these values.");
    }

    /// <summary>The candidates for the paper's "O(1)" ratio, on one log axis: which of them reaches order one, and when.</summary>
    private static IEnumerable<(Figure? Figure, string Caption)> NonlinearityCandidates(Overlay o, List<RunTraces> probed)
    {
        var withCandidates = probed.Where(r => r.Probes!.Has(ProbeColumns.NonlinearityRatioFull)).ToList();
        if (withCandidates.Count == 0) yield break;
        var f = new Figure("nl-candidates", "Candidates for the nonlinearity ratio", "step", "log₁₀ |ratio|");
        foreach (var r in withCandidates)
            foreach (var (column, what) in new[]
            {
                (ProbeColumns.NonlinearityRatio, "z1_nl / z1_lin"), (ProbeColumns.NonlinearityRatioFull, "z1_nl_full / z1_lin"),
                (ProbeColumns.NonlinearityRatioTwoStep, "z1_nl / (y·z₁)"), (ProbeColumns.NonlinearityRatioTwoStepFull, "z1_nl_full / (y·z₁)"),
            })
            {
                var (s, v) = r.Probe(column);
                var keep = Enumerable.Range(0, s.Length).Where(i => v[i] != 0).ToArray();
                if (keep.Length > 0)
                    f.Points(keep.Select(i => s[i]).ToArray(), keep.Select(i => Math.Log10(Math.Abs(v[i]))).ToArray(), o.Label(r, what));
            }
        f.StabilityLine(0, "|ratio| = 1");
        yield return (f, "The one-step ratio, the same with the full residual's second-order term ½(η/n)²Q₁(Jᵀz, Jᵀz), and both against the "
            + "two-step linear term y·z₁, as log₁₀ of their magnitudes; the dashed line is a ratio of 1.");
    }

    private static Figure? QSpectrum(List<RunTraces> runs)
    {
        var withSpectra = runs.Where(r => r.Spectra is { RowCount: > 0 }).ToList();
        if (withSpectra.Count > 0)
        {
            var f = new Figure("q-spectrum", "Extreme eigenvalues of Q₁ and Q_r", "index from the spectrum's end (negative: bottom)", "eigenvalue");
            foreach (var r in withSpectra)
            {
                var sp = r.Spectra!;
                var step = sp["step"];
                var op = sp.Text("operator");
                var end = sp.Text("end");
                var index = sp["index"];
                var value = sp["value"];
                foreach (var group in Enumerable.Range(0, sp.RowCount).GroupBy(i => (step[i], op[i])))
                {
                    var rows = group.ToArray();
                    var x = rows.Select(i => end[i] == "top" ? index[i] : -index[i]).ToArray();
                    var y = rows.Select(i => value[i]).ToArray();
                    string name = group.Key.Item2 == "q1" ? "Q₁" : "Q_r";
                    f.Points(x, y, $"{(runs.Count > 1 ? r.Name + ": " : "")}{name} at step {group.Key.Item1}");
                }
            }
            return f;
        }
        var over = new Figure("q-spectrum", "Extreme eigenvalues of Q₁ and Q_r over steps", "step", "eigenvalue");
        bool any = false;
        foreach (var r in runs)
            foreach (var (column, name) in new[] { (ProbeColumns.Q1Max, "Q₁ max"), (ProbeColumns.Q1Min, "Q₁ min"), (ProbeColumns.QrMax, "Q_r max"),
                (ProbeColumns.QrMin, "Q_r min") })
                any |= Plotted(over, r, column, runs.Count > 1 ? $"{r.Name}: {name}" : name);
        return any ? over : null;
    }

    private static bool Plotted(Figure f, RunTraces r, string column, string legend, bool markers = false, int? from = null)
    {
        if (r.Probes is null || !r.Probes.Has(column)) return false;
        var (s, v) = From(r.Probe(column), from);
        if (s.Length == 0) return false;
        f.Line(s, v, legend, markers: markers);
        return true;
    }

    /// <summary>The points at or after step <paramref name="from"/> (all of them when it is null).</summary>
    private static (double[], double[]) From((double[] Steps, double[] Values) series, int? from)
    {
        if (from is not { } f) return series;
        var keep = Enumerable.Range(0, series.Steps.Length).Where(i => series.Steps[i] >= f).ToArray();
        return (keep.Select(i => series.Steps[i]).ToArray(), keep.Select(i => series.Values[i]).ToArray());
    }

    private static (double[], double[]) Finite(double[] x, double[] y)
    {
        var keep = Enumerable.Range(0, x.Length).Where(i => double.IsFinite(y[i])).ToArray();
        return (keep.Select(i => x[i]).ToArray(), keep.Select(i => y[i]).ToArray());
    }
}
