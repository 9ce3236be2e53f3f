using MathNet.Numerics.LinearAlgebra;

namespace QuadraticFit.Simulation;

/// <summary>One grid point of the r_NL series.</summary>
public sealed record NonlinearityPoint(double SigmaZTilde, double SigmaJTilde, double Eta, Estimate Ratio);

/// <summary>An exponent of the fitted power law with its standard error; null where that axis was not varied.</summary>
public sealed record Exponent(double Value, double StandardError);

/// <summary>r_NL ≈ A · σ̃_z^a · η^b · σ̃_J^c, fitted in logs (weighted by each point's relative error).</summary>
public sealed record PowerLaw(double Prefactor, Exponent? SigmaZ, Exponent? Eta, Exponent? SigmaJ);

/// <summary>
/// The nonlinearity ratio r_NL (paper Eq. 27) by Monte Carlo over a σ̃_z × σ̃_J × η grid at one (D, P), in the
/// paper's rescaling. Each grid point draws its own seeds, so the fitted exponents carry genuine Monte
/// Carlo error; the expected law is a = 1, b = 1, c = 0.
/// </summary>
public static class NonlinearitySeries
{
    public static List<NonlinearityPoint> Run(int d, int p, IReadOnlyList<double> sigmaZTilde, IReadOnlyList<double> sigmaJTilde,
        IReadOnlyList<double> etas, int seeds, Action<int>? pointDone = null)
    {
        var points = new List<NonlinearityPoint>();
        foreach (var sz in sigmaZTilde)
            foreach (var sj in sigmaJTilde)
                foreach (var eta in etas)
                {
                    var (sigmaZ, sigmaJ) = Models.QuadraticModel.Rescaled(sz, sj, d, p);
                    long first = (long)points.Count * seeds;
                    points.Add(new NonlinearityPoint(sz, sj, eta, RandomModelStatistics.NonlinearityRatio(d, p, sigmaZ, sigmaJ, eta, seeds, first)));
                    pointDone?.Invoke(points.Count);
                }
        return points;
    }

    /// <summary>
    /// The large-D, P prefactor A in r_NL ≈ A·η·σ̃_z: √(P / (2(D + P))), for any σ_J. Derived here (not from the
    /// paper) from concentration of the norms at w = Jᵀz: ‖Q(w, w)‖² ≈ 2D‖w‖⁴ (E[(wᵀQ_αw)²] = 2‖w‖⁴),
    /// ‖w‖² ≈ σ_z²σ_J²DP, ‖Jw‖² ≈ σ_z²σ_J⁴DP(D + P), so r_NL ≈ ½η·σ_z·√(2D)·√(DP/(D + P)) with σ_z = σ̃_z/D.
    /// </summary>
    public static double LimitPrefactor(int d, int p) => Math.Sqrt(p / (2.0 * (d + p)));

    /// <summary>Weighted least squares of log r_NL on the logs of the axes that vary (var(log r) ≈ (se/r)²).</summary>
    public static PowerLaw Fit(IReadOnlyList<NonlinearityPoint> points)
    {
        var axes = new (string Name, Func<NonlinearityPoint, double> Value)[]
            { ("sigma_z", x => x.SigmaZTilde), ("eta", x => x.Eta), ("sigma_j", x => x.SigmaJTilde) };
        var varying = axes.Where(a => points.Select(a.Value).Distinct().Count() > 1).ToList();
        var x = Matrix<double>.Build.Dense(points.Count, varying.Count + 1, (i, k) => k == 0 ? 1 : Math.Log(varying[k - 1].Value(points[i])));
        var y = Vector<double>.Build.Dense(points.Count, i => Math.Log(points[i].Ratio.Mean));
        var w = Matrix<double>.Build.Diagonal(points.Count, points.Count,
            i => Math.Pow(points[i].Ratio.Mean / Math.Max(points[i].Ratio.StandardError, 1e-300), 2));
        var normal = x.TransposeThisAndMultiply(w * x);
        var cov = normal.Inverse();
        var beta = cov * (x.TransposeThisAndMultiply(w * y));
        Exponent? Of(string name)
        {
            int k = varying.FindIndex(a => a.Name == name);
            return k < 0 ? null : new Exponent(beta[k + 1], Math.Sqrt(cov[k + 1, k + 1]));
        }
        return new PowerLaw(Math.Exp(beta[0]), Of("sigma_z"), Of("eta"), Of("sigma_j"));
    }
}
