using Probes.Operators;
using static TorchSharp.torch;

namespace Probes.Eigensolvers;

/// <summary>A spectral density on a grid: ρ(x) with ∫ρ = 1.</summary>
public sealed record Density(double[] X, double[] Values, int Vectors, int Steps, double Width);

/// <summary>
/// Stochastic Lanczos quadrature (Ubaru, Chen &amp; Saad 2017; Ghorbani et al. 2019): for random unit start
/// vectors v, m Lanczos steps give nodes θᵢ and weights wᵢ = (first component of the i-th Ritz vector)², a
/// Gauss quadrature of vᵀ f(A) v; averaged over vectors and smoothed by a Gaussian of width σ this estimates
/// the density of A's eigenvalues. Trade-off: m steps resolve the edges well and the bulk only in shape;
/// the error of the average falls as 1/√(vectors). Each vector costs m matvecs.
/// </summary>
public static class SpectralDensity
{
    /// <summary>The quadrature nodes and weights of one seeded random start vector (weights sum to 1).</summary>
    public static (double[] Nodes, double[] Weights) Quadrature(ILinearOperator op, int steps, long seed)
    {
        using var result = LanczosSolver.Solve(op, new LanczosOptions
        {
            Count = 1, End = SpectrumEnd.Both, Tolerance = double.Epsilon, MaxIterations = Math.Max(steps, 2), MaxBasis = Math.Max(steps, 2),
            Seed = seed,
        });
        return (result.RitzValues, result.RitzWeights.Select(w => w * w).ToArray());
    }

    /// <param name="width">Gaussian width σ; by default 1/100 of the spread of all nodes.</param>
    public static Density Estimate(ILinearOperator op, int vectors = 4, int steps = 40, long seed = 0, int points = 400, double? width = null)
    {
        var quadratures = Enumerable.Range(0, vectors).Select(v => Quadrature(op, steps, seed * 1000 + v)).ToList();
        double lo = quadratures.Min(q => q.Nodes.Min()), hi = quadratures.Max(q => q.Nodes.Max());
        double sigma = width ?? Math.Max((hi - lo) / 100, 1e-12 * Math.Max(Math.Abs(lo), Math.Abs(hi)) + 1e-300);
        var x = Enumerable.Range(0, points).Select(i => lo - 5 * sigma + (hi - lo + 10 * sigma) * i / (points - 1)).ToArray();
        var rho = new double[points];
        foreach (var (nodes, weights) in quadratures)
            for (int i = 0; i < nodes.Length; i++)
                for (int k = 0; k < points; k++)
                {
                    double u = (x[k] - nodes[i]) / sigma;
                    rho[k] += weights[i] * Math.Exp(-0.5 * u * u) / (sigma * Math.Sqrt(2 * Math.PI) * vectors);
                }
        return new Density(x, rho, vectors, steps, sigma);
    }
}
