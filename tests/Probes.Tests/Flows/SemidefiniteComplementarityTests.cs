using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;
using Probes.Flows;
using Xunit;

namespace Probes.Tests;

/// <summary>The k × k complementarity problem X ⪰ 0, A + B[X] ⪰ 0, ⟨X, A + B[X]⟩ = 0 against closed forms and its conditions.</summary>
public class SemidefiniteComplementarityTests
{
    private static readonly MatrixBuilder<double> M = Matrix<double>.Build;

    /// <summary>B[X]_ab = Σ_ij ⟨G_ab, G_ij⟩ X_ij for random symmetric G_ab ∈ R^p: the central flow's B, PSD on symmetric X.</summary>
    private static Matrix<double> GramOperator(int k, int p, Random random)
    {
        var g = new Vector<double>[k, k];
        for (int a = 0; a < k; a++)
            for (int b = a; b < k; b++)
                g[a, b] = g[b, a] = Vector<double>.Build.Dense(p, _ => random.NextDouble() * 2 - 1);
        return M.Dense(k * k, k * k, (r, c) => g[r % k, r / k].DotProduct(g[c % k, c / k]));
    }

    private static Matrix<double> Symmetric(int k, Random random, double shift)
    {
        var m = M.Dense(k, k, (_, _) => random.NextDouble() * 2 - 1);
        return (m + m.Transpose()) / 2 + shift * M.DenseIdentity(k);
    }

    private static double MinEigenvalue(Matrix<double> m) =>
        m.Evd(Symmetricity.Symmetric).EigenValues.Min(e => e.Real);

    [Fact]
    public void OneEigenvalueHasTheClosedFormMaxOfZeroAndMinusAOverB()
    {
        var b = M.Dense(1, 1, 4.0);
        Assert.Equal(0.75, SemidefiniteComplementarity.Solve(M.Dense(1, 1, -3.0), b).X[0, 0], 15);
        Assert.Equal(0, SemidefiniteComplementarity.Solve(M.Dense(1, 1, 3.0), b).X[0, 0]);
        Assert.Throws<InvalidOperationException>(() => SemidefiniteComplementarity.Solve(M.Dense(1, 1, -3.0), M.Dense(1, 1, 0.0)));
    }

    [Fact]
    public void WithBTheIdentityXIsThePsdPartOfMinusA()
    {
        // min ½‖X‖² + ⟨A, X⟩ over X ⪰ 0 is the projection of −A: for A = V diag(−2, 1, −0.5) Vᵀ, X = V diag(2, 0, 0.5) Vᵀ.
        var v = M.DenseOfArray(new[,] { { 0.6, 0.8, 0 }, { -0.8, 0.6, 0 }, { 0, 0, 1 } });
        var a = v * M.DenseOfDiagonalArray([-2, 1, -0.5]) * v.Transpose();
        var expected = v * M.DenseOfDiagonalArray([2, 0, 0.5]) * v.Transpose();
        var solution = SemidefiniteComplementarity.Solve(a, M.DenseIdentity(9));
        Assert.True(solution.Converged);
        Assert.True((solution.X - expected).FrobeniusNorm() < 1e-11, $"X off by {(solution.X - expected).FrobeniusNorm():G3}");
    }

    [Fact]
    public void WhereEveryEigenvalueIsHeldTheResidualVanishesAndXIsTheLinearSolve()
    {
        // A strongly negative: X has full rank, so R = A + B[X] = 0 and vec X solves the linear system on symmetric matrices.
        var random = new Random(3);
        int k = 3;
        var b = GramOperator(k, 40, random) + 0.5 * M.DenseIdentity(k * k);
        var a = Symmetric(k, random, -6);
        var solution = SemidefiniteComplementarity.Solve(a, b);
        var linear = M.DenseOfColumnMajor(k, k, b.Solve(-Vector<double>.Build.DenseOfArray(a.ToColumnMajorArray())).ToArray());
        Assert.True(MinEigenvalue(linear) > 0, "the case is interior");
        Assert.True((solution.X - linear).FrobeniusNorm() <= 1e-10 * linear.FrobeniusNorm(),
            $"X off the linear solve by {(solution.X - linear).FrobeniusNorm():G3}");
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    [InlineData(4, 5)]
    public void RandomProblemsMeetEveryConditionOfComplementarity(int k, int seed)
    {
        var random = new Random(seed);
        for (int trial = 0; trial < 20; trial++)
        {
            var b = GramOperator(k, 3 * k * k, random);
            var a = Symmetric(k, random, -0.3);
            var solution = SemidefiniteComplementarity.Solve(a, b);
            var r = SemidefiniteComplementarity.Gradient(a, b, solution.X);
            double scale = a.FrobeniusNorm();
            Assert.True(solution.Converged, $"trial {trial}: {solution.Iterations} iterations, residual {solution.Residual:G3}");
            Assert.True(MinEigenvalue(solution.X) >= -1e-12 * solution.X.FrobeniusNorm(), $"trial {trial}: X ⪰ 0");
            Assert.True(MinEigenvalue(r) >= -1e-9 * scale, $"trial {trial}: A + B[X] ⪰ 0 (min eigenvalue {MinEigenvalue(r):G3})");
            Assert.True(Math.Abs(solution.X.PointwiseMultiply(r).Enumerate().Sum()) <= 1e-9 * scale * (1 + solution.X.FrobeniusNorm()),
                $"trial {trial}: ⟨X, R⟩ = 0");
        }
    }
}
