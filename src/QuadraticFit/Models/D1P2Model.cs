namespace QuadraticFit.Models;

/// <summary>The state of the D = 1, P = 2 model in rescaled variables: z̃ = η·z and T(0) = η·J Jᵀ = η·λ_max.</summary>
public readonly record struct D1P2State(double Z, double T0)
{
    public bool IsFinite => double.IsFinite(Z) && double.IsFinite(T0);
}

/// <summary>
/// The simplest model with progressive sharpening and EOS (Agarwala et al. §3): one output, two parameters,
/// f(θ) = ½θᵀQθ with Q = diag(1, λ) (λ = −ε in the paper's case), residual z = f − E and loss ½z².
/// </summary>
/// <remarks>
/// With J = (Qθ)ᵀ, define z̃ = ηz and T(k) = η J Q^k Jᵀ = η θᵀQ^{k+2}θ. GD θ' = (I − ηzQ)θ gives exactly
/// <c>z̃' − z̃ = −z̃T(0) + ½z̃²T(1)</c> and <c>T'(k) − T(k) = −z̃(2T(k+1) − z̃T(k+2))</c>. Q's two eigenvalues
/// close the hierarchy (Cayley–Hamilton: T(k+2) = (1+λ)T(k+1) − λT(k)), and Ẽ = T(−1) − 2z̃ = 2ηE is conserved
/// by the recursion, so (z̃, T(0)) alone evolve by a closed map. All three forms are implemented so that
/// each checks the others: <see cref="ParameterStep"/>, <see cref="RecursionStep"/>, <see cref="Step"/>.
/// </remarks>
public sealed class D1P2Model(double lambda, double conserved = 0, double eta = 1)
{
    /// <summary>Q's second eigenvalue (the first is 1).</summary>
    public double Lambda => lambda;

    /// <summary>Ẽ = T(−1) − 2z̃ = 2ηE.</summary>
    public double Conserved => conserved;

    public double Eta => eta;

    /// <summary>The paper's case: eigenvalues {1, −ε}.</summary>
    public static D1P2Model WithEpsilon(double epsilon, double conserved = 0, double eta = 1) => new(-epsilon, conserved, eta);

    // ---- closed (z̃, T(0)) map ----

    /// <summary>T(1) and T(2) from (z̃, T(0)) through Ẽ and Cayley–Hamilton.</summary>
    public (double T1, double T2) Higher(D1P2State s)
    {
        double tMinus1 = conserved + 2 * s.Z;
        double t1 = (1 + lambda) * s.T0 - lambda * tMinus1;
        return (t1, (1 + lambda) * t1 - lambda * s.T0);
    }

    /// <summary>One GD step of the closed map.</summary>
    public D1P2State Step(D1P2State s)
    {
        var (t1, t2) = Higher(s);
        return new D1P2State(s.Z - s.Z * s.T0 + 0.5 * s.Z * s.Z * t1, s.T0 - s.Z * (2 * t1 - s.Z * t2));
    }

    /// <summary>The two-step map, whose fixed points off z̃ = 0 are the period-2 orbits of EOS.</summary>
    public D1P2State TwoStep(D1P2State s) => Step(Step(s));

    /// <summary>
    /// The one-step nullclines of the closed map, as T(0) on z̃ (z̃ ≠ 0): z̃' = z̃ where T(0) = ½z̃T(1), i.e.
    /// T(0) = −½λz̃(Ẽ + 2z̃) / (1 − ½(1+λ)z̃); and T(0)' = T(0) where 2T(1) = z̃T(2), solved for T(0).
    /// </summary>
    public (double ZNullcline, double TNullcline) Nullclines(double z)
    {
        double tm1 = conserved + 2 * z;
        double zNull = -0.5 * lambda * z * tm1 / (1 - 0.5 * (1 + lambda) * z);
        // 2[(1+λ)T0 − λT₋₁] = z[(1+λ)((1+λ)T0 − λT₋₁) − λT0]  →  linear in T0.
        double a = 2 * (1 + lambda) - z * ((1 + lambda) * (1 + lambda) - lambda);
        double b = 2 * lambda * tm1 - z * (1 + lambda) * lambda * tm1;
        return (zNull, b / a);
    }

    /// <summary>
    /// f(z̃): the T(0) at which the two-step map leaves z̃ unchanged (z̃₊₂ = z̃), found by bisection on
    /// [lo, hi]; f(z̃) → 2 as z̃ → 0. Its change of variables y = T(0) − f(z̃) measures the distance to it.
    /// NaN where [lo, hi] brackets no root.
    /// </summary>
    public double TwoStepNullcline(double z, double lo = 1.0, double hi = 3.0) => Bisect(t0 => TwoStep(new D1P2State(z, t0)).Z - z, lo, hi);

    /// <summary>
    /// The T(0) at which the two-step map leaves T(0) unchanged (T₊₂(0) = T(0)) at this z̃ ≠ 0, by bisection
    /// on [lo, hi] (Appendix B.4: it too passes through (0, 2), and for small ε it nearly coincides with
    /// <see cref="TwoStepNullcline"/>). NaN where [lo, hi] brackets no root.
    /// </summary>
    public double TwoStepTNullcline(double z, double lo = 1.0, double hi = 3.0) =>
        Bisect(t0 => TwoStep(new D1P2State(z, t0)).T0 - t0, lo, hi);

    private static double Bisect(Func<double, double> g, double lo, double hi)
    {
        double glo = g(lo), ghi = g(hi);
        if (!double.IsFinite(glo) || !double.IsFinite(ghi) || Math.Sign(glo) == Math.Sign(ghi)) return double.NaN;
        for (int i = 0; i < 200 && hi - lo > 1e-15; i++)
        {
            double mid = 0.5 * (lo + hi), gm = g(mid);
            if (Math.Sign(gm) == Math.Sign(glo)) { lo = mid; glo = gm; } else hi = mid;
        }
        return 0.5 * (lo + hi);
    }

    public double Y(D1P2State s) => s.T0 - TwoStepNullcline(s.Z);

    // ---- the (z̃, T(k)) recursion: T(−1) carried, not derived from Ẽ ----

    public (double Z, double TMinus1, double T0) RecursionStep((double Z, double TMinus1, double T0) s)
    {
        double t1 = (1 + lambda) * s.T0 - lambda * s.TMinus1;
        double t2 = (1 + lambda) * t1 - lambda * s.T0;
        return (s.Z - s.Z * s.T0 + 0.5 * s.Z * s.Z * t1,
                s.TMinus1 - s.Z * (2 * s.T0 - s.Z * t1),
                s.T0 - s.Z * (2 * t1 - s.Z * t2));
    }

    // ---- parameter space ----

    /// <summary>z = ½θᵀQθ − E with E = Ẽ/(2η).</summary>
    public double Residual((double A, double B) theta) => 0.5 * (theta.A * theta.A + lambda * theta.B * theta.B) - conserved / (2 * eta);

    /// <summary>GD on ½z²: θ ← θ − η·z·Qθ.</summary>
    public (double A, double B) ParameterStep((double A, double B) theta)
    {
        double z = Residual(theta);
        return (theta.A - eta * z * theta.A, theta.B - eta * z * lambda * theta.B);
    }

    public D1P2State StateOf((double A, double B) theta) =>
        new(eta * Residual(theta), eta * (theta.A * theta.A + lambda * lambda * theta.B * theta.B));

    /// <summary>
    /// p = ηa² and q = ηb² of the θ with this (z̃, T(0)): T(−1) = p + λq and T(0) = p + λ²q. A state is reachable
    /// by a real θ only where both are ≥ 0 (the paper's Eqs. 67–68, with its a = −1/λ).
    /// </summary>
    public (double P, double Q) Weights(D1P2State s)
    {
        double tMinus1 = conserved + 2 * s.Z;
        double q = (s.T0 - tMinus1) / (lambda * lambda - lambda);
        return (tMinus1 - lambda * q, q);
    }

    /// <summary>Whether a real θ has this state (outside: the grey, forbidden region of the paper's Figures 7 and 8).</summary>
    public bool IsReachable(D1P2State s)
    {
        var (p, q) = Weights(s);
        return p >= 0 && q >= 0;
    }

    /// <summary>A θ with the given (z̃, T(0)). Fails when the state is not <see cref="IsReachable"/>.</summary>
    public (double A, double B) ParametersOf(D1P2State s)
    {
        var (p, q) = Weights(s);
        if (p < 0 || q < 0)
            throw new ArgumentException($"no real θ has z̃ = {s.Z}, T(0) = {s.T0} with λ = {lambda}, Ẽ = {conserved} (p = {p:G4}, q = {q:G4}).");
        return (Math.Sqrt(p / eta), Math.Sqrt(q / eta));
    }

    /// <summary>θ₀, θ₁, … of GD in parameter space (the paths drawn on the loss landscape of Figure 1).</summary>
    public List<(double A, double B)> ParameterPath((double A, double B) start, int steps)
    {
        var path = new List<(double A, double B)>(steps + 1) { start };
        for (int t = 0; t < steps && double.IsFinite(path[^1].A) && double.IsFinite(path[^1].B); t++) path.Add(ParameterStep(path[^1]));
        return path;
    }

    /// <summary>The loss ½z² at θ.</summary>
    public double Loss((double A, double B) theta) => 0.5 * Math.Pow(Residual(theta), 2);

    /// <summary>
    /// Where the closed map takes a start: T(0) once |z̃| &lt; <paramref name="converged"/> (GD has reached a minimum,
    /// and T(0) no longer moves), or NaN when it diverges or is still moving after <paramref name="maxSteps"/>.
    /// </summary>
    public double FinalCurvature(D1P2State start, int maxSteps = 20000, double converged = 1e-12)
    {
        var s = start;
        for (int t = 0; t < maxSteps; t++)
        {
            if (Math.Abs(s.Z) < converged) return s.T0;
            s = Step(s);
            if (!s.IsFinite || Math.Abs(s.Z) > 1e6) return double.NaN;
        }
        return double.NaN;
    }

    /// <summary>Iterates the closed map; stops early when z̃ is below <paramref name="converged"/> or diverges.</summary>
    public List<D1P2State> Simulate(D1P2State start, int steps, double converged = 0)
    {
        var path = new List<D1P2State>(steps + 1) { start };
        var s = start;
        for (int t = 0; t < steps; t++)
        {
            s = Step(s);
            path.Add(s);
            if (!s.IsFinite || Math.Abs(s.Z) > 1e6 || Math.Abs(s.Z) < converged) break;
        }
        return path;
    }
}
