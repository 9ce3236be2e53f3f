using QuadraticFit.Models;

namespace QuadraticFit.Planes;

/// <summary>A rectangle of the (z̃, T(0)) plane sampled on an nz × nt grid of cell centres.</summary>
public sealed record PlaneWindow(double ZLo, double ZHi, double TLo, double THi, int Nz = 24, int Nt = 24)
{
    public IEnumerable<D1P2State> Grid() =>
        from i in Enumerable.Range(0, Nz)
        from j in Enumerable.Range(0, Nt)
        select new D1P2State(ZLo + (ZHi - ZLo) * (i + 0.5) / Nz, TLo + (THi - TLo) * (j + 0.5) / Nt);

    /// <summary>n evenly spaced z̃ across the window, z̃ = 0 left out (the nullclines are singular or trivial there).</summary>
    public double[] Zs(int n) => Enumerable.Range(0, n).Select(i => ZLo + (ZHi - ZLo) * i / (n - 1.0)).Where(z => Math.Abs(z) > 1e-9).ToArray();
}

/// <summary>One step of the closed map from a state: the arrows of the phase portraits.</summary>
public readonly record struct FlowArrow(D1P2State From, D1P2State To);

/// <summary>A curve T(0) = f(z̃) of the plane, NaN where it does not exist.</summary>
public sealed record PlaneCurve(string Name, double[] Z, double[] T0);

/// <summary>A start and where the closed map takes it (NaN: diverged or still moving).</summary>
public readonly record struct FinalState(D1P2State Start, double FinalT0);

/// <summary>
/// The phase-plane views of the D = 1, P = 2 model (Appendix B.3–B.4, the paper's Figures 7–9): which
/// states a real θ reaches, the arrows of the one-step and two-step maps, the one-step nullclines (Eqs. 69–70),
/// the two-step nullclines that meet at (0, 2), and the final curvature of a grid or a random set of starts.
/// </summary>
public static class D1P2Plane
{
    /// <summary>The arrows of the one-step map (or the two-step map) from the window's reachable grid points.</summary>
    public static List<FlowArrow> Arrows(D1P2Model model, PlaneWindow window, bool twoStep = false) =>
        window.Grid().Where(model.IsReachable)
            .Select(s => new FlowArrow(s, twoStep ? model.TwoStep(s) : model.Step(s))).Where(a => a.To.IsFinite).ToList();

    /// <summary>The grid points no real θ reaches: the forbidden region.</summary>
    public static List<D1P2State> Forbidden(D1P2Model model, PlaneWindow window) => window.Grid().Where(s => !model.IsReachable(s)).ToList();

    /// <summary>The one-step nullclines z̃ₜ₊₁ = z̃ₜ (f_z̃, Eq. 69) and Tₜ₊₁(0) = Tₜ(0) (f_T, Eq. 70).</summary>
    public static PlaneCurve[] OneStepNullclines(D1P2Model model, PlaneWindow window, int points = 400)
    {
        var zs = window.Zs(points);
        var curves = zs.Select(model.Nullclines).ToArray();
        return
        [
            new("z̃ nullcline f_z̃ (z̃ₜ₊₁ = z̃ₜ)", zs, curves.Select(c => c.ZNullcline).ToArray()),
            new("T nullcline f_T (Tₜ₊₁ = Tₜ)", zs, curves.Select(c => c.TNullcline).ToArray()),
        ];
    }

    /// <summary>The two-step nullclines z̃ₜ₊₂ = z̃ₜ and Tₜ₊₂(0) = Tₜ(0) through (0, 2), T(0) searched in [lo, hi].</summary>
    public static PlaneCurve[] TwoStepNullclines(D1P2Model model, PlaneWindow window, int points = 400, double lo = 1.5, double hi = 2.5)
    {
        var zs = window.Zs(points);
        return
        [
            new("z̃ two-step nullcline (z̃ₜ₊₂ = z̃ₜ)", zs, zs.Select(z => model.TwoStepNullcline(z, lo, hi)).ToArray()),
            new("T two-step nullcline (Tₜ₊₂ = Tₜ)", zs, zs.Select(z => model.TwoStepTNullcline(z, lo, hi)).ToArray()),
        ];
    }

    /// <summary>The final T(0) of every reachable start of the window's grid.</summary>
    public static List<FinalState> GridFinals(D1P2Model model, PlaneWindow window, int maxSteps = 20000) =>
        window.Grid().Where(model.IsReachable).Select(s => new FinalState(s, model.FinalCurvature(s, maxSteps))).ToList();

    /// <summary>
    /// The final T(0) of <paramref name="count"/> starts drawn uniformly from the window's reachable part
    /// (rejection sampling with a fixed seed), for the histogram of Figure 9 (right).
    /// </summary>
    public static List<FinalState> RandomFinals(D1P2Model model, PlaneWindow window, int count, int seed, int maxSteps = 20000)
    {
        var random = new Random(seed);
        var finals = new List<FinalState>(count);
        for (int tries = 0; finals.Count < count && tries < 1000 * count; tries++)
        {
            var s = new D1P2State(window.ZLo + (window.ZHi - window.ZLo) * random.NextDouble(),
                window.TLo + (window.THi - window.TLo) * random.NextDouble());
            if (model.IsReachable(s)) finals.Add(new FinalState(s, model.FinalCurvature(s, maxSteps)));
        }
        return finals;
    }
}
