namespace QuadraticFit.Simulation;

/// <summary>One (D, P, σ̃_z) point of the Theorem 4.1 series.</summary>
public sealed record SharpeningPoint(int D, int P, double SigmaZTilde, double SigmaJTilde, SharpeningEstimate Estimate,
    Models.QConvention Convention = Models.QConvention.Goe);

/// <summary>
/// The coefficient c̃ in E[λ̈]/E[λ] = c̃·σ̃_z² for one size, by weighted least squares through the origin over
/// its σ̃_z points, for the Monte Carlo ratio and for the averaged formula; χ²/dof says whether the Monte
/// Carlo points are consistent with proportionality (≈ 1 if so; null with a single σ̃_z).
/// </summary>
public sealed record SizeCoefficient(int D, int P, Estimate Measured, Estimate Predicted, double? ChiSquaredPerDof,
    Models.QConvention Convention = Models.QConvention.Goe)
{
    /// <summary>The large-size limit of the coefficient in this convention.</summary>
    public double Limit => SharpeningRate.LimitCoefficient(D, P, Convention);
}

/// <summary>
/// Theorem 4.1's E[λ̈_max(0)]/E[λ_max(0)] against σ̃_z² for growing (D, P), in the paper's rescaling
/// (σ_z = σ̃_z/D, σ_J = σ̃_J/(DP)^¼), where it should tend to c̃·σ̃_z² with c̃ depending on D/P only.
/// Every point draws its own seeds, so points are independent Monte Carlo estimates.
/// </summary>
public static class SharpeningSeries
{
    public static List<SharpeningPoint> Run(IReadOnlyList<(int D, int P)> sizes, IReadOnlyList<double> sigmaZTilde, double sigmaJTilde,
        int seeds, Action<int>? pointDone = null, Models.QConvention convention = Models.QConvention.Goe)
    {
        var points = new List<SharpeningPoint>();
        foreach (var (d, p) in sizes)
            foreach (var sz in sigmaZTilde)
            {
                var (sigmaZ, sigmaJ) = Models.QuadraticModel.Rescaled(sz, sigmaJTilde, d, p);
                long first = (long)points.Count * seeds;
                points.Add(new SharpeningPoint(d, p, sz, sigmaJTilde, RandomModelStatistics.Sharpening(d, p, sigmaZ, sigmaJ, seeds, first,
                    convention), convention));
                pointDone?.Invoke(points.Count);
            }
        return points;
    }

    public static List<SizeCoefficient> Coefficients(IEnumerable<SharpeningPoint> points) =>
        points.GroupBy(x => (x.D, x.P)).Select(g =>
        {
            var list = g.ToList();
            var measured = ThroughOrigin(list, x => x.Estimate.Ratio);
            var predicted = ThroughOrigin(list, x => x.Estimate.Predicted);
            double chi2 = list.Sum(x => Math.Pow((x.Estimate.Ratio.Mean - measured.Mean * x.SigmaZTilde * x.SigmaZTilde) /
                x.Estimate.Ratio.StandardError, 2));
            return new SizeCoefficient(g.Key.D, g.Key.P, measured, predicted, list.Count > 1 ? chi2 / (list.Count - 1) : null,
                list[0].Convention);
        }).ToList();

    /// <summary>y = c·x with x = σ̃_z², weights 1/se²: c = Σwxy/Σwx², se(c) = 1/√Σwx².</summary>
    private static Estimate ThroughOrigin(List<SharpeningPoint> points, Func<SharpeningPoint, Estimate> y)
    {
        double sxy = 0, sxx = 0;
        foreach (var pt in points)
        {
            double x = pt.SigmaZTilde * pt.SigmaZTilde, w = 1 / Math.Pow(y(pt).StandardError, 2);
            sxy += w * x * y(pt).Mean;
            sxx += w * x * x;
        }
        return new Estimate(sxy / sxx, 1 / Math.Sqrt(sxx), points.Sum(pt => y(pt).Samples));
    }
}
