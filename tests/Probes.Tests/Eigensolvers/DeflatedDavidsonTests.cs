using Probes.Eigensolvers;
using Probes.Operators;
using Xunit;
using static TorchSharp.torch;

namespace Probes.Tests;

/// <summary>Deflated Davidson on matrices with known spectra shaped like the NTK at the edge of stability.</summary>
public class DeflatedDavidsonTests
{
    private const int N = 400;

    /// <summary>
    /// Two top eigenvalues, a cluster just below (as measured on the paper's network at step 4,800), a
    /// decaying tail and a bulk near zero, in a seeded random orthonormal basis.
    /// </summary>
    private static readonly double[] Values =
    [
        202, 195, 190, 182, 165, 157, 144, 126, 95, 94, 86, 82, 77, 75, 71, 68,
        .. Enumerable.Range(0, N - 16).Select(i => 60 * Math.Exp(-i / 12.0)),
    ];

    private static (FunctionOperator Op, Tensor Q) Matrix()
    {
        var (op, _, q) = DenseOperators.WithSpectrum(Values, seed: 21);
        return (op, q);
    }

    /// <summary>Unit columns of q perturbed by seeded noise of norm <paramref name="noise"/> (an earlier step's vectors).</summary>
    private static Tensor[] Perturbed(Tensor q, int from, int count, double noise, ulong seed)
    {
        var g = new Generator(seed);
        return Enumerable.Range(from, count).Select(i =>
        {
            var e = randn([N], float64, generator: g);
            var v = q[.., i] + e * (noise / e.norm().item<double>());
            return v / v.norm();
        }).ToArray();
    }

    private static DeflationSpace Space(Tensor q, double noise, int size = 12)
    {
        var (rows, _) = linalg.qr(stack(Perturbed(q, 2, size, noise, 5)).t());
        return new DeflationSpace(rows.t().contiguous(), Values[2..(2 + size)], Values[1 + size]);
    }

    private static double TrueResidual(ILinearOperator op, RitzPair p) =>
        (op.Apply(p.Vector) - p.Vector * p.Value).norm().item<double>() / p.Value;

    [Fact]
    public void ConvergesToTheExactTopPairsInFarFewerMatvecsThanLanczos()
    {
        var (op, q) = Matrix();
        var start = Perturbed(q, 0, 2, 1e-3, 3);
        using var space = Space(q, 1e-2);
        using var davidson = DeflatedDavidson.Solve(op, start, space, 2, 1e-10, 300);
        int davidsonMatvecs = op.Applications;
        using var lanczos = LanczosSolver.Solve(op, new LanczosOptions { Count = 2, Tolerance = 1e-10, MaxIterations = 300, WarmStart = start });
        Assert.True(davidson.Converged && lanczos.Converged);
        Assert.Equal(davidsonMatvecs, davidson.Iterations);
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(Values[i], davidson.Top[i].Value, 1e-9 * Values[i]);
            Assert.True(Math.Abs(davidson.Top[i].Vector.dot(q[.., i]).item<double>()) > 1 - 1e-12);
            Assert.True(TrueResidual(op, davidson.Top[i]) <= 1e-10 * 1.01, $"true residual of pair {i}");
            Assert.Equal(TrueResidual(op, davidson.Top[i]), davidson.Top[i].Residual, 1e-12);
        }
        // The cluster below λ₂ is what slows Lanczos; a space that knows it to 1e-2 removes it. At the probes'
        // tolerance (1e-6): 8 matvecs against 16.
        using var fast = DeflatedDavidson.Solve(op, start, space, 2, 1e-6, 300);
        using var slow = LanczosSolver.Solve(op, new LanczosOptions { Count = 2, Tolerance = 1e-6, MaxIterations = 300, WarmStart = start });
        Assert.True(2 * fast.Iterations <= slow.Iterations, $"Davidson {fast.Iterations} vs Lanczos {slow.Iterations} matvecs");
    }

    [Fact]
    public void AWrongSpaceOrAWrongStartStillGivesTheTruePairs()
    {
        var (op, q) = Matrix();
        // Random rows instead of the cluster's eigenvectors: the preconditioner is then no help, but harmless.
        var (random, _) = linalg.qr(randn([N, 12], float64, generator: new Generator(8)));
        using var garbage = new DeflationSpace(random.t().contiguous(), Values[2..14], Values[13]);
        using var a = DeflatedDavidson.Solve(op, Perturbed(q, 0, 2, 1e-3, 3), garbage, 2, 1e-10, 300);
        // Starting from λ₃'s and λ₄'s eigenvectors (a crossing since the last probe), with the true top pair
        // inside the space as if it had sunk below: the solve must climb back to λ₁, λ₂.
        var (rows, _) = linalg.qr(stack(Perturbed(q, 0, 2, 1e-2, 9).Concat(Perturbed(q, 4, 10, 1e-2, 10)).ToArray()).t());
        using var swapped = new DeflationSpace(rows.t().contiguous(), [Values[0], Values[1], .. Values[4..14]], Values[13]);
        using var b = DeflatedDavidson.Solve(op, Perturbed(q, 2, 2, 1e-3, 4), swapped, 2, 1e-10, 300);
        foreach (var r in new[] { a, b })
        {
            Assert.True(r.Converged);
            for (int i = 0; i < 2; i++) Assert.Equal(Values[i], r.Top[i].Value, 1e-9 * Values[i]);
        }
    }

    [Fact]
    public void StopsAtTheCapWithHonestResiduals()
    {
        var (op, q) = Matrix();
        using var space = Space(q, 0.3);
        using var r = DeflatedDavidson.Solve(op, Perturbed(q, 0, 2, 0.1, 3), space, 2, 1e-14, 7);
        Assert.False(r.Converged);
        Assert.True(r.Iterations <= 7);
        foreach (var p in r.Top) Assert.Equal(TrueResidual(op, p), p.Residual, 1e-12);
    }

    [Fact]
    public void BulkValueEqualisesTheWorstErrorAtBothEndsOfTheBulk()
    {
        double theta = 200, edge = 60, sigma = DeflatedDavidson.BulkValue(theta, edge);
        double atZero = theta / (theta - sigma) - 1, atEdge = 1 - (theta - edge) / (theta - sigma);
        Assert.Equal(atZero, atEdge, 1e-12);
        Assert.InRange(sigma, 0, edge);
    }

    [Fact]
    public void EstimatedSpaceHoldsThePairsBelowTheTop()
    {
        var (op, q) = Matrix();
        using var space = DeflationSpace.Estimate(op, 2, 6, seed: 1, maxIterations: 300, warm: null, out var top);
        using (top)
        {
            Assert.Equal(2, top.Top.Count);
            for (int i = 0; i < 2; i++) Assert.Equal(Values[i], top.Top[i].Value, DeflationSpace.Tolerance * Values[i]);
        }
        Assert.Equal(6, space.Size);
        for (int i = 0; i < 6; i++)
        {
            // A residual ≤ 1e-2·μ bounds the value's error by the residual itself.
            Assert.Equal(Values[2 + i], space.Values[i], DeflationSpace.Tolerance * Values[2 + i]);
            Assert.True(Math.Abs(space.Vectors[i].dot(q[.., 2 + i]).item<double>()) > 0.5, $"row {i} is not near eigenvector {3 + i}");
        }
        Assert.Equal(space.Values[^1], space.BulkEdge);
        var gram = space.Vectors.matmul(space.Vectors.t());
        Assert.True((gram - eye(6, dtype: float64)).abs().max().item<double>() < 1e-10, "rows are not orthonormal");
    }
}
