using Probes.Eigensolvers;
using Xunit;
using static TorchSharp.torch;

namespace Probes.Tests;

/// <summary>Rayleigh–Ritz pairs against the dense eigen-decomposition of the projected matrix, float64.</summary>
public class RayleighRitzTests
{
    private static readonly double[] Values = [50, 48, 30, 12, .. Enumerable.Range(0, 36).Select(i => 10 * Math.Exp(-i / 5.0) - 2)];

    [Fact]
    public void TheSpanOfExactEigenvectorsGivesTheirEigenpairs()
    {
        var (op, _, q) = DenseOperators.WithSpectrum(Values, seed: 5);
        // The top three in a scrambled, non-orthonormal mix: the span is what counts.
        Tensor[] span = [q[.., 1] + q[.., 0] * 2, q[.., 2] - q[.., 1] * 0.5, q[.., 0] * 3 + q[.., 2]];
        var pairs = RayleighRitz.Pairs(op, span);
        Assert.Equal([50.0, 48.0, 30.0], pairs.Select(p => Math.Round(p.Value, 9)));
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(1, pairs[i].Vector.norm().item<double>(), 12);
            Assert.Equal(1, Math.Abs(pairs[i].Vector.dot(q[.., i]).item<double>()), 12);
        }
    }

    [Fact]
    public void APerturbedSpanGivesTheEigenpairsOfTheProjectedMatrix()
    {
        var (op, a, q) = DenseOperators.WithSpectrum(Values, seed: 6);
        var noise = randn([Values.Length, 2], float64, generator: new Generator(3));
        noise = noise / noise.square().sum(0, keepdim: true).sqrt() * 0.05;                     // each column off by 5%
        var columns = q[.., ..2] + noise;
        var pairs = RayleighRitz.Pairs(op, [columns[.., 0], columns[.., 1]]);
        // Written out: an orthonormal basis V of the span, the 2 × 2 matrix VᵀAV, its eigenpairs (ascending from eigh).
        var (v, _) = linalg.qr(columns);
        var (values, vectors) = linalg.eigh(v.t().matmul(a).matmul(v));
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(values[1 - i].item<double>(), pairs[i].Value, 10);
            var expected = v.matmul(vectors[.., 1 - i]);
            Assert.Equal(1, Math.Abs(pairs[i].Vector.dot(expected).item<double>()), 12);
        }
        // A Ritz value of the top of the span lies below λ₁ and, for a 5% perturbation, within (λ₁ − λ_min)·sin² ≈ 52·0.05² of it;
        // its residual is exact: ‖Av − θv‖/θ from the dense matrix.
        Assert.InRange(pairs[0].Value, 50 - 52 * 0.05 * 0.05, 50);
        for (int i = 0; i < 2; i++)
            Assert.Equal((a.mv(pairs[i].Vector) - pairs[i].Vector * pairs[i].Value).norm().item<double>() / pairs[i].Value, pairs[i].Residual, 12);
    }
}
