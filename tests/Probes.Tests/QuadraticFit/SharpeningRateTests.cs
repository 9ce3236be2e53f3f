using QuadraticFit.Models;
using QuadraticFit.Simulation;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Probes.Tests;

/// <summary>λ̈_max(0) under gradient flow: perturbation theory against the flow itself, and the Q-, z-average against Monte Carlo.</summary>
public class SharpeningRateTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(6, 9, 1L)]
    [InlineData(4, 3, 2L)]       // D > P: K is rank-deficient, zero eigenvalues join the sum
    public void ExactCurvatureMatchesCentralDifferencesOfTheFlow(int d, int p, long seed)
    {
        using var scope = NewDisposeScope();
        using var m = QuadraticModel.Random(d, p, 0.3, 0.7, seed);
        var z = m.Residual(m.Theta);
        var j = m.Jacobian(m.Theta);
        double exact = SharpeningRate.Exact(m.Q, z, j);
        double l0 = SharpeningRate.TopEigenvalue(j);
        double h = 2e-3 / l0;
        double Along(double dt) => SharpeningRate.TopEigenvalue(GradientFlow.Step(m, z, j, dt).J);
        double fd = (Along(h) - 2 * l0 + Along(-h)) / (h * h);
        output.WriteLine($"λ̈ exact {exact:G10}, central difference {fd:G10}");
        Assert.Equal(exact, fd, Math.Abs(exact) * 1e-4);
    }

    [Fact]
    public void AveragedCurvatureMatchesMonteCarloOverQAndZAtFixedJ()
    {
        const int d = 5, p = 8, draws = 3000;
        const double sigmaZ = 0.4;
        using var scope = NewDisposeScope();
        var j = randn([d, p], float64, generator: new Generator(7)) * 0.6;
        var g = new Generator(11);
        var samples = new List<double>();
        for (int k = 0; k < draws; k++)
        {
            using var inner = NewDisposeScope();
            var a = randn([d, p, p], float64, generator: g);
            var z = randn([d], float64, generator: g) * sigmaZ;
            samples.Add(SharpeningRate.Exact((a + a.transpose(1, 2)) / Math.Sqrt(2), z, j));
        }
        var mc = Estimate.Of(samples);
        double expected = SharpeningRate.Expected(j, sigmaZ);
        output.WriteLine($"E[λ̈ | J]: formula {expected:G6}, Monte Carlo {mc.Mean:G6} ± {mc.StandardError:G3}");
        Assert.InRange(expected, mc.Mean - 4 * mc.StandardError, mc.Mean + 4 * mc.StandardError);
        Assert.True(mc.StandardError < 0.05 * Math.Abs(mc.Mean), "too few draws to tell");
    }

    [Fact]
    public void FlowIsFourthOrderAndSmallStepGdFollowsIt()
    {
        using var scope = NewDisposeScope();
        using var m = QuadraticModel.Random(6, 10, 0.5, 0.8, 3);
        const double time = 0.5;
        Tensor Integrate(int steps)
        {
            var z = m.Residual(m.Theta);
            var j = m.Jacobian(m.Theta);
            for (int s = 0; s < steps; s++) (z, j) = GradientFlow.Step(m, z, j, time / steps);
            return z;
        }
        var reference = Integrate(400);
        double coarse = (Integrate(25) - reference).norm().item<double>(), fine = (Integrate(50) - reference).norm().item<double>();
        output.WriteLine($"RK4 error at dt = {time / 25}: {coarse:E3}, at dt/2: {fine:E3} (ratio {coarse / fine:F1}, order 4 gives 16)");
        Assert.InRange(coarse / fine, 12, 20);

        // GD with step η is the flow up to O(η): the gap halves when η does.
        double Gap(int steps)
        {
            var z = m.Residual(m.Theta);
            var j = m.Jacobian(m.Theta);
            for (int s = 0; s < steps; s++) (z, j) = m.FunctionStep(z, j, time / steps);
            return (z - reference).norm().item<double>();
        }
        double g1 = Gap(200), g2 = Gap(400);
        output.WriteLine($"GD − flow at η = {time / 200}: {g1:E3}, at η/2: {g2:E3}");
        Assert.InRange(g1 / g2, 1.8, 2.2);
    }

    [Theory]
    [InlineData(200, 400)]
    [InlineData(100, 400)]
    [InlineData(600, 800)]      // near ρ = 1 the approach is slowest: 2.80, 2.90, 2.86, 2.73 at D = 75 … 600 against 2.67
    [InlineData(600, 200)]      // ρ = 3: D − P zero eigenvalues join the sum; the same limit (measured 0.667 ± 0.016 against 0.667)
    public void AveragedCurvatureApproachesTheDerivedLargeSizeLimit(int d, int p)
    {
        // E[λ̈]/E[λ] → (2P/D)·σ̃_z² as D, P grow at fixed D/P; the formula needs only J, so large sizes are cheap.
        // Finite sizes wander by a few per cent (the λ₁–λ₂ gap term is heavy-tailed), hence the error bar.
        var (sigmaZ, sigmaJ) = QuadraticModel.Rescaled(1.0, 0.7, d, p);
        var expected = new List<double>();
        var lambdas = new List<double>();
        for (int s = 0; s < 30; s++)
        {
            using var scope = NewDisposeScope();
            var j = randn([d, p], float64, generator: new Generator((ulong)(100 + s))) * sigmaJ;
            expected.Add(SharpeningRate.Expected(j, sigmaZ));
            lambdas.Add(SharpeningRate.TopEigenvalue(j));
        }
        var c = Estimate.Ratio(expected, lambdas);
        double limit = SharpeningRate.LimitCoefficient(d, p);
        output.WriteLine($"D = {d}, P = {p}: c̃ = {c.Mean:F4} ± {c.StandardError:F4}, limit 2P/D = {limit}");
        Assert.InRange(c.Mean, limit * 0.97 - 4 * c.StandardError, limit * 1.03 + 4 * c.StandardError);
        Assert.True(c.StandardError < 0.03 * limit, "too noisy to tell");
    }
}
