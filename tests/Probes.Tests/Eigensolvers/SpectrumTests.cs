using Probes.Eigensolvers;
using Xunit;

namespace Probes.Tests;

/// <summary>The facade against a dense spectrum: each door gives the pairs it names, to its stated tolerance.</summary>
public class SpectrumTests
{
    private static readonly double[] Values =
        [.. Enumerable.Range(0, 120).Select(i => i < 60 ? 10.0 - 0.1 * i : -0.05 * (i - 59)),];

    [Fact]
    public void EachDoorFindsTheEigenvaluesItNames()
    {
        var (op, _, _) = DenseOperators.WithSpectrum(Values, seed: 5);
        var sorted = Values.OrderDescending().ToArray();
        using (var top = Spectrum.Largest(op, 2, tolerance: 1e-10))
            for (int i = 0; i < 2; i++) Assert.Equal(sorted[i], top.Top[i].Value, 9);
        using (var bottom = Spectrum.Smallest(op, 2, tolerance: 1e-10))
            for (int i = 0; i < 2; i++) Assert.Equal(sorted[^(i + 1)], bottom.Bottom[i].Value, 9);
        using (var both = Spectrum.BothEnds(op, 1, tolerance: 1e-10))
        {
            Assert.Equal(sorted[0], both.Top[0].Value, 9);
            Assert.Equal(sorted[^1], both.Bottom[0].Value, 9);
        }
        using var space = Spectrum.DeflationSpaceBelow(op, k: 2, size: 6, seed: 3);
        using var cold = Spectrum.Largest(op, 2, tolerance: 1e-3);
        using var deflated = Spectrum.LargestDeflated(op, [.. cold.Top.Select(p => p.Vector)], space, 2, tolerance: 1e-8);
        Assert.True(deflated.Converged, $"deflated: {deflated.Iterations} matvecs, residual {deflated.MaxResidual:E1}");
        for (int i = 0; i < 2; i++) Assert.Equal(sorted[i], deflated.Top[i].Value, 7);
        var density = Spectrum.Density(op, vectors: 4, steps: 30, seed: 2);
        Assert.Equal(1.0, density.Values.Sum() * (density.X[1] - density.X[0]), 2);
    }
}
