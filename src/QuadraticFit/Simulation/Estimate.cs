namespace QuadraticFit.Simulation;

/// <summary>A Monte Carlo mean with its standard error.</summary>
public sealed record Estimate(double Mean, double StandardError, int Samples)
{
    public static Estimate Of(IReadOnlyList<double> values)
    {
        double mean = values.Average();
        double variance = values.Sum(v => (v - mean) * (v - mean)) / Math.Max(values.Count - 1, 1);
        return new Estimate(mean, Math.Sqrt(variance / values.Count), values.Count);
    }

    /// <summary>
    /// The ratio of means Σa/Σb from paired samples, with the delta-method standard error
    /// √(Var(a − R·b)/n)/|mean b|, which accounts for the correlation of a and b.
    /// </summary>
    public static Estimate Ratio(IReadOnlyList<double> numerators, IReadOnlyList<double> denominators)
    {
        if (numerators.Count != denominators.Count || numerators.Count == 0)
            throw new ArgumentException("a ratio estimate needs paired, non-empty samples.");
        double meanB = denominators.Average();
        double ratio = numerators.Average() / meanB;
        var residuals = numerators.Zip(denominators, (a, b) => a - ratio * b).ToList();
        return new Estimate(ratio, Of(residuals).StandardError / Math.Abs(meanB), numerators.Count);
    }
}
