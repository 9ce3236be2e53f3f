using MathNet.Numerics;
using MathNet.Numerics.LinearRegression;

namespace QuadraticFit.TwoStep;

/// <summary>A least-squares line target ≈ Slope·x + Intercept, with its R² and the pairs it used.</summary>
public sealed record LineFit(double Slope, double Intercept, double RSquared, int Pairs, int FirstStep, int LastStep);

/// <summary>target ≈ Coefficients·[1, features…], with R².</summary>
public sealed record LinearFit(double[] Coefficients, string[] Terms, double RSquared, int Pairs);

/// <summary>
/// The two-step view of the edge of stability (Agarwala et al. Eq. 18): near the nullcline the period-2
/// dynamics of z₁ follow (z₁)ₜ₊₂ − (z₁)ₜ ≈ 2·yₜ·(z₁)ₜ, so a fit of the left side on 2·y·z₁ should have slope
/// ≈ 1, intercept ≈ 0 and R² ≈ 1. The companion fit of yₜ₊₂ − yₜ on z₁² and y·z₁² tests whether y obeys a
/// simple second-order law as well (the paper found none for the real network).
/// </summary>
public static class TwoStepFit
{
    /// <summary>Pairs (t, t+2) that both have finite values, with t in [from, to].</summary>
    public static List<(int T, int I, int J)> Pairs(double[] steps, double[] z1, double[] y, int from, int to)
    {
        var index = new Dictionary<int, int>();
        for (int i = 0; i < steps.Length; i++)
            if (double.IsFinite(z1[i]) && double.IsFinite(y[i])) index[(int)steps[i]] = i;
        var pairs = new List<(int, int, int)>();
        foreach (var (t, i) in index.OrderBy(p => p.Key))
            if (t >= from && t + 2 <= to && index.TryGetValue(t + 2, out int j)) pairs.Add((t, i, j));
        return pairs;
    }

    /// <summary>(z₁)ₜ₊₂ − (z₁)ₜ against 2·yₜ·(z₁)ₜ; null with fewer than three pairs.</summary>
    public static LineFit? Z1(double[] steps, double[] z1, double[] y, int from = 0, int to = int.MaxValue)
    {
        var pairs = Pairs(steps, z1, y, from, to);
        if (pairs.Count < 3) return null;
        var x = pairs.Select(p => 2 * y[p.I] * z1[p.I]).ToArray();
        var target = pairs.Select(p => z1[p.J] - z1[p.I]).ToArray();
        var (intercept, slope) = Fit.Line(x, target);
        double r2 = GoodnessOfFit.CoefficientOfDetermination(x.Select(v => intercept + slope * v), target);
        return new LineFit(slope, intercept, r2, pairs.Count, pairs[0].T, pairs[^1].T);
    }

    /// <summary>yₜ₊₂ − yₜ against 1, z₁², y·z₁²; null with fewer than four pairs.</summary>
    public static LinearFit? Y(double[] steps, double[] z1, double[] y, int from = 0, int to = int.MaxValue)
    {
        var pairs = Pairs(steps, z1, y, from, to);
        if (pairs.Count < 4) return null;
        var design = pairs.Select(p => new[] { 1.0, z1[p.I] * z1[p.I], y[p.I] * z1[p.I] * z1[p.I] }).ToArray();
        var target = pairs.Select(p => y[p.J] - y[p.I]).ToArray();
        double[] c;
        try { c = MultipleRegression.QR(design, target); }
        catch (ArgumentException) { return null; }   // rank-deficient (e.g. z₁ ≡ 0)
        var predicted = design.Select(row => row.Zip(c, (a, b) => a * b).Sum());
        return new LinearFit(c, ["1", "z1^2", "y*z1^2"], GoodnessOfFit.CoefficientOfDetermination(predicted, target), pairs.Count);
    }
}
