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
        var saved = new List<SavedFigure>();
        void Keep(Figure? f, string caption)
        {
            if (f is not null) saved.Add(new SavedFigure(f.Name, caption, f.Save(folder)));
        }
        string Label(RunTraces r, string what) => runs.Count == 1 ? what : $"{r.Name}: {what}";

        var loss = new Figure("loss", "Loss and accuracy", "step", "loss  ½‖f − y‖²/n");
        var accuracyAxis = loss.Plot.Axes.Right;
        accuracyAxis.Label.Text = "accuracy";
        foreach (var r in runs)
        {
            loss.Line(r.Train["step"], r.Train["loss"], Label(r, "train loss"));
            var (ts, tl) = Finite(r.Train["step"], r.Train["test_loss"]);
            if (ts.Length > 0) loss.Line(ts, tl, Label(r, "test loss"));
            loss.Line(r.Train["step"], r.Train["accuracy"], Label(r, "train accuracy")).Axes.YAxis = accuracyAxis;
            var (vs, va) = Finite(r.Train["step"], r.Train["test_accuracy"]);
            if (vs.Length > 0) loss.Line(vs, va, Label(r, "test accuracy")).Axes.YAxis = accuracyAxis;
        }
        Keep(loss, "Train and test loss (left axis) and accuracy (right axis) against step.");

        var probed = runs.Where(r => r.HasProbes).ToList();
        if (probed.Count == 0) return saved;

        var sharpness = new Figure("sharpness", "Sharpness: η·λ of the NTK and of the loss Hessian", "step", "η·λ");
        foreach (var r in probed)
        {
            Plotted(sharpness, r, ProbeColumns.EtaNtk1, Label(r, "η·λ₁ NTK"));
            Plotted(sharpness, r, ProbeColumns.EtaNtk2, Label(r, "η·λ₂ NTK"));
            Plotted(sharpness, r, ProbeColumns.EtaHessian1, Label(r, "η·λ₁ Hessian"));
        }
        sharpness.StabilityLine();
        Keep(sharpness,
            "η·λ₁ and η·λ₂ of the NTK Gram K = JJᵀ/n and η·λ₁ of the loss Hessian; the dashed line is the GD stability threshold 2 "
                + "(Figure 5, right).");

        var z1 = new Figure("z1", "z₁ = v₁·z, every probed step", "step", "z₁");
        foreach (var r in probed) Plotted(z1, r, ProbeColumns.Z1, Label(r, "z₁"), markers: true);
        Keep(z1, "The residual's component along the top NTK eigenvector, with v₁'s sign aligned step to step (Figure 5, left).");

        var zEven = new Figure("z1-every-other-step", "z₁ on even and on odd steps", "step", "z₁");
        foreach (var r in probed)
        {
            var (s, v) = r.Probe(ProbeColumns.Z1);
            var even = Enumerable.Range(0, s.Length).Where(i => (long)s[i] % 2 == 0).ToArray();
            var odd = Enumerable.Range(0, s.Length).Where(i => (long)s[i] % 2 != 0).ToArray();
            if (even.Length > 0) zEven.Points(even.Select(i => s[i]).ToArray(), even.Select(i => v[i]).ToArray(), Label(r, "even steps"));
            if (odd.Length > 0) zEven.Points(odd.Select(i => s[i]).ToArray(), odd.Select(i => v[i]).ToArray(), Label(r, "odd steps"));
        }
        Keep(zEven, "z₁ sampled every other step: the period-2 oscillation at EOS separates into two slow branches (Figure 5, middle).");

        Keep(QSpectrum(probed), "Q₁ = Σ v₁_α ∇²f_α against Q_r for a random unit output direction r: extreme eigenvalues (Figure 6, left).");

        var densities = probed.Where(r => r.Density is { RowCount: > 0 }).ToList();
        if (densities.Count > 0)
        {
            var f = new Figure("q-density", "Spectral densities of Q₁ and Q_r (stochastic Lanczos quadrature)", "eigenvalue", "density");
            foreach (var r in densities)
            {
                var t = r.Density!;
                var ops = t.Text("operator");
                foreach (var group in Enumerable.Range(0, t.RowCount).GroupBy(i => (t["step"][i], ops[i])))
                {
                    var rows = group.ToArray();
                    f.Line(rows.Select(i => t["x"][i]).ToArray(), rows.Select(i => t["density"][i]).ToArray(),
                        $"{(runs.Count > 1 ? r.Name + ": " : "")}{(group.Key.Item2 == "q1" ? "Q₁" : "Q_r")} at step {group.Key.Item1}");
                }
            }
            Keep(f, "Gaussian-smoothed SLQ estimates of the eigenvalue densities of Q₁ and Q_r at the --spectra-at steps.");
        }

        var twoStep = new Figure("two-step", "Two-step dynamics of z₁", "step", "value");
        var scatter = new Figure("two-step-scatter", "(z₁)ₜ₊₂ − (z₁)ₜ against 2·yₜ·(z₁)ₜ", "2·yₜ·(z₁)ₜ", "(z₁)ₜ₊₂ − (z₁)ₜ");
        bool anyPairs = false;
        foreach (var r in probed)
        {
            var steps = r.Probes!["step"];
            var zz = r.Probes[ProbeColumns.Z1];
            var yy = r.Probes["y"];
            var pairs = TwoStepFit.Pairs(steps, zz, yy, 0, int.MaxValue);
            if (pairs.Count == 0) continue;
            anyPairs = true;
            var t = pairs.Select(p => (double)p.T).ToArray();
            var lhs = pairs.Select(p => zz[p.J] - zz[p.I]).ToArray();
            var rhs = pairs.Select(p => 2 * yy[p.I] * zz[p.I]).ToArray();
            twoStep.Line(t, lhs, Label(r, "(z₁)ₜ₊₂ − (z₁)ₜ"));
            twoStep.Line(t, rhs, Label(r, "2·yₜ·(z₁)ₜ"));
            scatter.Points(rhs, lhs, Label(r, "steps"));
            if (TwoStepFit.Z1(steps, zz, yy) is { } fit)
            {
                double lo = rhs.Min(), hi = rhs.Max();
                scatter.Line([lo, hi], [fit.Intercept + fit.Slope * lo, fit.Intercept + fit.Slope * hi],
                    Label(r, $"fit: slope {fit.Slope:F3}, R² {fit.RSquared:F3}"));
            }
        }
        if (anyPairs)
        {
            Keep(twoStep, "The two sides of the two-step law (z₁)ₜ₊₂ − (z₁)ₜ ≈ 2·yₜ·(z₁)ₜ over steps (Figure 6, middle).");
            Keep(scatter, "The same as a scatter with the least-squares line; slope 1 and R² 1 mean the law holds exactly.");
        }

        var ratio = new Figure("nl-ratio", "Nonlinearity of the z₁ update", "step", "z1_nl / z1_lin");
        var yAxis = ratio.Plot.Axes.Right;
        yAxis.Label.Text = "y = η·λ₁ − 2";
        foreach (var r in probed)
        {
            Plotted(ratio, r, ProbeColumns.NonlinearityRatio, Label(r, "ratio ½(η/n)²z₁²Q₁(Jᵀv₁,Jᵀv₁) / (−ηλ₁z₁)"));
            var (s, v) = r.Probe("y");
            if (s.Length > 0) ratio.Line(s, v, Label(r, "y (right axis)")).Axes.YAxis = yAxis;
        }
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
            Keep(f, "GD on the network and on its exact second-order Taylor model at the same starting θ, same η (probes fit --taylor-at).");
            var zf = new Figure("taylor-z1", $"{r.Name}: z₁ of the network and of its Taylor model", "step", "z₁");
            zf.Line(t["step"], t["net_z1"], "network z₁", markers: true);
            zf.Line(t["step"], t["taylor_z1"], "Taylor model z₁", markers: true);
            Keep(zf, "z₁ of both, each with its own v₁ (sign-aligned step to step).");
        }

        Keep(ratio,
            "Second-order over first-order term of the one-step z₁ update, with y on the right axis. The paper's Figure 6 (right) plots this ratio "
                + "without the ½, i.e. twice these values.");
        return saved;
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

    private static bool Plotted(Figure f, RunTraces r, string column, string legend, bool markers = false)
    {
        if (r.Probes is null || !r.Probes.Has(column)) return false;
        var (s, v) = r.Probe(column);
        if (s.Length == 0) return false;
        f.Line(s, v, legend, markers: markers);
        return true;
    }

    private static (double[], double[]) Finite(double[] x, double[] y)
    {
        var keep = Enumerable.Range(0, x.Length).Where(i => double.IsFinite(y[i])).ToArray();
        return (keep.Select(i => x[i]).ToArray(), keep.Select(i => y[i]).ToArray());
    }
}
