using MathNet.Numerics.LinearAlgebra;
using Probes.Eigensolvers;
using Probes.Operators;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Probes.Tests;

/// <summary>Lanczos on symmetric matrices with known spectra.</summary>
public class LanczosTests
{
    private static (FunctionOperator Op, Tensor Eigenvectors) WithSpectrum(double[] eigenvalues, ulong seed = 11)
    {
        var (op, _, q) = DenseOperators.WithSpectrum(eigenvalues, seed);
        return (op, q);
    }

    private static double[] Spectrum(int n, Func<int, double> value) => Enumerable.Range(0, n).Select(value).ToArray();

    [Fact]
    public void FindsTopEigenpairsOfAWellSeparatedSpectrum()
    {
        var values = Spectrum(200, i => 1.0 / (i + 1));
        var (op, q) = WithSpectrum(values);
        using var r = LanczosSolver.Solve(op, new LanczosOptions { Count = 3, Tolerance = 1e-10 });
        Assert.True(r.Converged);
        Assert.Equal(r.Iterations, op.Applications);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(values[i], r.Top[i].Value, 1e-9);
            double overlap = Math.Abs(r.Top[i].Vector.dot(q[.., i]).item<double>());
            Assert.True(overlap > 1 - 1e-9, $"eigenvector {i}: overlap {overlap}");
            double trueResidual = (op.Apply(r.Top[i].Vector) - r.Top[i].Vector * r.Top[i].Value).norm().item<double>() / r.Top[i].Value;
            Assert.True(trueResidual <= 1e-9, $"true residual {trueResidual:E2}");
        }
    }

    [Fact]
    public void ResolvesAClusteredTop()
    {
        var values = Spectrum(300, i => i switch { 0 => 10.0, 1 => 10.0 - 1e-4, _ => 9.0 * Math.Exp(-i / 50.0) });
        var (op, _) = WithSpectrum(values, seed: 12);
        using var r = LanczosSolver.Solve(op, new LanczosOptions { Count = 2, Tolerance = 1e-12, MaxIterations = 300 });
        Assert.True(r.Converged);
        Assert.Equal(10.0, r.Top[0].Value, 1e-9);
        Assert.Equal(10.0 - 1e-4, r.Top[1].Value, 1e-9);
    }

    [Fact]
    public void RevealsARepeatedTopEigenvalueThroughRestarts()
    {
        // Exact multiplicity 3 at the top of a small spectrum: one Krylov space sees one copy until it is
        // invariant; the restarts in its complement find the others.
        var values = Spectrum(40, i => i < 3 ? 5.0 : 1.0 + 0.05 * i % 3.5);
        var (op, _) = WithSpectrum(values, seed: 13);
        using var r = LanczosSolver.Solve(op, new LanczosOptions { Count = 4, Tolerance = 1e-10, MaxIterations = 40 });
        var top = r.Top.Select(p => p.Value).ToArray();
        Assert.Equal([5.0, 5.0, 5.0], top.Take(3).Select(v => Math.Round(v, 9)).ToArray());
        Assert.Equal(values.Skip(3).Max(), top[3], 1e-9);
    }

    [Fact]
    public void FindsBothEndsOfAnIndefiniteSpectrum()
    {
        var values = Spectrum(150, i => Math.Sin(i * 0.37) * 3 + (i == 7 ? 8 : 0) + (i == 9 ? -11 : 0));
        var (op, _) = WithSpectrum(values, seed: 14);
        using var r = LanczosSolver.Solve(op, new LanczosOptions
        {
            Count = 2, End = SpectrumEnd.Both, Tolerance = 1e-10, MaxIterations = 150,
            MaxBasis = 150
        });
        var sorted = values.OrderBy(v => v).ToArray();
        Assert.True(r.Converged);
        Assert.Equal(sorted[^1], r.Top[0].Value, 1e-9);
        Assert.Equal(sorted[^2], r.Top[1].Value, 1e-9);
        Assert.Equal(sorted[0], r.Bottom[0].Value, 1e-9);
        Assert.Equal(sorted[1], r.Bottom[1].Value, 1e-9);
    }

    [Fact]
    public void ThickRestartsKeepBothEndsExactWithABoundedBasis()
    {
        // Two pairs just outside a bulk on [−1, 1] at each end: full Lanczos needs ~50 vectors, so a 16-row basis must restart.
        var values = Spectrum(400, i => i switch { 0 => 1.3, 1 => 1.2, 2 => -1.25, 3 => -1.15, _ => Math.Sin(i * 0.91) });
        var (op, _) = WithSpectrum(values, seed: 21);
        var options = new LanczosOptions { Count = 2, End = SpectrumEnd.Both, Tolerance = 1e-10, MaxIterations = 2000, MaxBasis = 16 };
        using var r = LanczosSolver.Solve(op, options);
        var sorted = values.OrderBy(v => v).ToArray();
        Assert.True(r.Converged);
        Assert.True(r.Restarts > 0, "the basis never filled, so this test could not fail");
        Assert.Equal(r.Iterations, op.Applications);
        Numerics.Close(r.Top[0].Value, sorted[^1], 1e-9, "λ_max");
        Numerics.Close(r.Top[1].Value, sorted[^2], 1e-9, "λ_max−1");
        Numerics.Close(r.Bottom[0].Value, sorted[0], 1e-9, "λ_min");
        Numerics.Close(r.Bottom[1].Value, sorted[1], 1e-9, "λ_min+1");
        foreach (var p in r.Top.Concat(r.Bottom))
        {
            double trueResidual = (op.Apply(p.Vector) - p.Vector * p.Value).norm().item<double>() / Math.Abs(p.Value);
            Assert.True(trueResidual <= 1e-10 * 1.01, $"reported {p.Residual:E2}, true residual {trueResidual:E2}");
            Assert.True(Math.Abs(trueResidual - p.Residual) <= 1e-12, $"reported {p.Residual:E2} against true {trueResidual:E2}");
        }
    }

    [Fact]
    public void ThickRestartsOfABlockRun()
    {
        var values = Spectrum(300, i => i switch { 0 => 10.0, 1 => 9.9, _ => 9.7 * Math.Exp(-i / 80.0) });
        var (op, _) = WithSpectrum(values, seed: 22);
        using var full = LanczosSolver.Solve(op, new LanczosOptions
        {
            Count = 2, BlockSize = 2, Tolerance = 1e-10, MaxIterations = 300,
            MaxBasis = 300
        });
        using var r = LanczosSolver.Solve(op, new LanczosOptions
        {
            Count = 2, BlockSize = 2, Tolerance = 1e-10, MaxIterations = 2000,
            MaxBasis = 20
        });
        Assert.True(r.Converged && r.Restarts > 0 && full.Restarts == 0);
        Numerics.Close(r.Top[0].Value, 10.0, 1e-10, "λ₁");
        Numerics.Close(r.Top[1].Value, 9.9, 1e-10, "λ₂");
        Assert.True(Math.Abs(r.Top[0].Vector.dot(full.Top[0].Vector).item<double>()) > 1 - 1e-9);
    }

    [Fact]
    public void AnOperatorThatReturnsNaNGivesNaNPairsNotACrash()
    {
        var op = new FunctionOperator(50, CPU, v => full(50, double.NaN, float64));
        using var r = LanczosSolver.Solve(op, new LanczosOptions { Count = 2, End = SpectrumEnd.Both, Tolerance = 1e-8 });
        Assert.False(r.Converged);
        Assert.All(r.Top.Concat(r.Bottom), p => Assert.True(double.IsNaN(p.Value)));
        Assert.Equal(2, r.Top.Count);
    }

    [Fact]
    public void ALongSolveHoldsNoMoreThanItsBasis()
    {
        // The live-tensor count during a 150-matvec solve must not grow with the iterations: every pass
        // frees its images and residuals, and the basis is one reserved buffer.
        var values = Spectrum(600, i => Math.Sin(i * 0.37) * 3);
        var (op0, _) = WithSpectrum(values, seed: 23);
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount, peak = 0;
        var op = new FunctionOperator(600, CPU, v =>
        {
            peak = Math.Max(peak, DisposeScopeManager.Statistics.ThreadTotalLiveCount - before);
            return op0.Apply(v);
        });
        using var r = LanczosSolver.Solve(op, new LanczosOptions
        {
            Count = 1, End = SpectrumEnd.Both, Tolerance = 1e-14, MaxIterations = 150,
            MaxBasis = 150
        });
        Assert.Equal(150, r.Iterations);
        Assert.True(peak > 0, "the live-tensor counter is not counting, so this test could not fail");
        Assert.True(peak <= 40, $"{peak} live tensors during a 150-matvec solve: temporaries are kept across passes");
    }

    [Fact]
    public void SmallestEndAlone()
    {
        var values = Spectrum(120, i => i * 0.1 - 2);
        var (op, _) = WithSpectrum(values, seed: 15);
        using var r = LanczosSolver.Solve(op, new LanczosOptions { Count = 1, End = SpectrumEnd.Smallest, Tolerance = 1e-10, MaxIterations = 120 });
        Assert.Empty(r.Top);
        Assert.Equal(-2.0, r.Bottom[0].Value, 1e-9);
    }

    [Fact]
    public void ReportsTheIterationCapInsteadOfHidingIt()
    {
        var values = Spectrum(500, i => 1.0 - i * 1e-4);   // tiny gaps: far from converged in 10 steps
        var (op, _) = WithSpectrum(values, seed: 16);
        using var r = LanczosSolver.Solve(op, new LanczosOptions { Count = 2, Tolerance = 1e-12, MaxIterations = 10 });
        Assert.False(r.Converged);
        Assert.Equal(10, r.Iterations);
        Assert.True(r.MaxResidual > 1e-12);
    }

    [Fact]
    public void ResidualsAreExactWhenTheCapFallsInsideABlock()
    {
        // Block size 3 with a cap of 7: a second block cut to one vector would leave two directions of the
        // first block's images outside the basis and make the reported residuals too small.
        var values = Spectrum(300, i => 1.0 / (1 + 0.02 * i));
        var (op, _) = WithSpectrum(values, seed: 21);
        using var r = LanczosSolver.Solve(op, new LanczosOptions { Count = 3, BlockSize = 3, Tolerance = 1e-12, MaxIterations = 7 });
        Assert.False(r.Converged);
        Assert.True(r.Iterations <= 7);
        foreach (var pair in r.Top)
        {
            double trueResidual = (op.Apply(pair.Vector) - pair.Vector * pair.Value).norm().item<double>() / Math.Abs(pair.Value);
            Assert.Equal(trueResidual, pair.Residual, 1e-10 + 1e-8 * trueResidual);
        }
    }

    [Fact]
    public void WarmStartReachesTheSameEigenpairsInFewerIterations()
    {
        // λ₁ ≈ λ₂, as at the edge of stability: the warm block separates them by Rayleigh–Ritz.
        var values = Spectrum(400, i => i switch { 0 => 1.0, 1 => 0.995, _ => 0.9 / (1 + 0.05 * i) });
        var (op, q) = WithSpectrum(values, seed: 17);
        var options = new LanczosOptions { Count = 2, Tolerance = 1e-8, MaxIterations = 400 };
        using var cold = LanczosSolver.Solve(op, options);
        // A slightly perturbed previous answer, as after one GD step.
        var warm = cold.Top.Select(p => (p.Vector + randn([400], float64, generator: new Generator(3)) * 1e-4)).ToList();
        using var again = LanczosSolver.Solve(op, options with { WarmStart = warm });
        for (int i = 0; i < 2; i++) Assert.Equal(cold.Top[i].Value, again.Top[i].Value, 1e-10);
        Assert.True(again.Iterations < cold.Iterations, $"warm {again.Iterations} vs cold {cold.Iterations} iterations");
    }

    [Fact]
    public void RejectsImpossibleRequests()
    {
        var (op, _) = WithSpectrum([1.0, 2.0, 3.0]);
        Assert.Throws<ArgumentException>(() => LanczosSolver.Solve(op, new LanczosOptions { Count = 4 }));
        Assert.Throws<ArgumentException>(() => LanczosSolver.Solve(op, new LanczosOptions { Count = 2, End = SpectrumEnd.Both }));
        Assert.Throws<ArgumentException>(() => LanczosSolver.Solve(op, new LanczosOptions { Count = 1, WarmStart = [zeros(5, float64)] }));
    }
}
