using Probes.Eigensolvers;
using Xunit;
using static TorchSharp.torch;

namespace Probes.Tests;

/// <summary>Stochastic Lanczos quadrature against a dense matrix with a known spectrum.</summary>
public class SpectralDensityTests
{
    [Fact]
    public void QuadratureReproducesTheStartVectorsMomentsAndTheDensityTheSpectrum()
    {
        int n = 400;
        var values = Enumerable.Range(0, n).Select(i => i < 300 ? -1 + 2.0 * i / 300 : 3 + (i - 300) / 100.0).ToArray();
        var (op, a, _) = DenseOperators.WithSpectrum(values, seed: 21);
        var (nodes, weights) = SpectralDensity.Quadrature(op, 30, seed: 4);
        Assert.Equal(1.0, weights.Sum(), 12);
        // The quadrature is exact for low moments of vᵀ A^k v (k < 2m): check k = 1, 2 against the start vector.
        var v = randn([n], float64, generator: new Generator(4));
        v /= v.norm();
        Assert.Equal(v.dot(a.mv(v)).item<double>(), nodes.Zip(weights, (x, w) => w * x).Sum(), 10);
        Assert.Equal(v.dot(a.mv(a.mv(v))).item<double>(), nodes.Zip(weights, (x, w) => w * x * x).Sum(), 10);
        // The density: integrates to 1, and puts about a quarter of its mass on the upper cluster [3, 4].
        var density = SpectralDensity.Estimate(op, vectors: 8, steps: 40, seed: 1);
        double dx = density.X[1] - density.X[0];
        Assert.Equal(1.0, density.Values.Sum() * dx, 2);
        double upper = density.X.Zip(density.Values).Where(p => p.First > 2).Sum(p => p.Second) * dx;
        Assert.InRange(upper, 0.18, 0.32);
    }
}
