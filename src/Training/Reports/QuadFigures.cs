using QuadraticFit.Models;
using QuadraticFit.Planes;
using QuadraticFit.Simulation;

namespace Training.Reports;

/// <summary>Figures of one quadratic-model trajectory (`probes quad simulate`).</summary>
internal static class QuadFigures
{
    /// <summary>The figures of `quad simulate`: η·λ_max, z̃, loss, the two-step law, and for D = 1, P = 2 the two-step planes.</summary>
    public static string[] Trajectory(List<TrajectoryPoint> path, string folder, string title, Func<TrajectoryPoint, double> y, D1P2Model? d1p2)
    {
        var steps = path.Select(p => (double)p.Step).ToArray();
        var sharp = new Figure("sharpness", $"{title}: η·λ_max", "step", "η·λ_max");
        sharp.Line(steps, path.Select(p => p.Sharpness).ToArray(), "η·λ_max");
        sharp.StabilityLine();
        var z = new Figure("z", $"{title}: z̃", "step", "z̃");
        z.Line(steps, path.Select(p => p.Z).ToArray(), "z̃");
        var loss = new Figure("loss", $"{title}: loss", "step", "loss");
        loss.Line(steps, path.Select(p => p.Loss).ToArray(), "loss");
        string yName = d1p2 is not null ? "y = T(0) − f_z̃(z̃)" : "y = η·λ_max − 2";
        var two = new Figure("two-step", $"{title}: z̃ₜ₊₂ − z̃ₜ against 2·yₜ·z̃ₜ, {yName}", "2·yₜ·z̃ₜ", "z̃ₜ₊₂ − z̃ₜ");
        var n = path.Count - 2;
        if (n > 0)
            two.Points(Enumerable.Range(0, n).Select(t => 2 * y(path[t]) * path[t].Z).ToArray(),
                Enumerable.Range(0, n).Select(t => path[t + 2].Z - path[t].Z).ToArray(), "steps");
        var figures = new List<Figure> { sharp, z, loss, two };
        if (d1p2 is not null) figures.AddRange(TwoStepPlanes(path, title, d1p2));
        return figures.Select(f => f.Save(folder)).ToArray();
    }

    /// <summary>
    /// Figure 2 (middle and right) of the paper: the even steps in the (z̃, T(0)) plane with the z̃ nullcline f_z̃
    /// and arrows of the two-step map, and the same steps in (z̃, y), y = T(0) − f_z̃(z̃).
    /// </summary>
    private static IEnumerable<Figure> TwoStepPlanes(List<TrajectoryPoint> path, string title, D1P2Model model)
    {
        var even = path.Where(p => p.Step % 2 == 0 && double.IsFinite(p.Z) && double.IsFinite(p.Sharpness)).ToList();
        var plane = new Figure("two-step-plane", $"{title}: every other step in (z̃, T(0))", "z̃", "T(0) = η·λ_max");
        plane.Points(even.Select(p => p.Z).ToArray(), even.Select(p => p.Sharpness).ToArray(), "even steps");
        double lo = even.Min(p => p.Z), hi = even.Max(p => p.Z);
        var zs = Enumerable.Range(0, 200).Select(i => lo + (hi - lo) * i / 199.0).Where(v => Math.Abs(v) > 1e-9).ToArray();
        var nullcline = zs.Select(v => (Z: v, F: model.TwoStepNullcline(v))).Where(c => double.IsFinite(c.F)).ToArray();
        plane.Line(nullcline.Select(c => c.Z).ToArray(), nullcline.Select(c => c.F).ToArray(), "z̃ nullcline f_z̃ (z̃ₜ₊₂ = z̃ₜ)");
        double tLo = even.Min(p => p.Sharpness), tHi = even.Max(p => p.Sharpness);
        var window = new PlaneWindow(lo, hi, tLo, Math.Max(tHi, tLo + 1e-12), 8, 8);
        PlaneDrawing.Arrows(plane, D1P2Plane.Arrows(model, window, twoStep: true), window, fraction: 1.0 / 12);
        yield return plane;
        var zy = new Figure("two-step-zy", $"{title}: every other step in (z̃, y), y = T(0) − f_z̃(z̃)", "z̃", "y");
        zy.Points(even.Select(p => p.Z).ToArray(), even.Select(p => model.Y(new D1P2State(p.Z, p.Sharpness))).ToArray(), "even steps");
        yield return zy;
    }
}
