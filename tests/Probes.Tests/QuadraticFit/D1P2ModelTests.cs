using QuadraticFit.Models;
using Xunit;

namespace Probes.Tests;

/// <summary>The D = 1, P = 2 model against itself (three forms) and against the paper's §3 results.</summary>
public class D1P2ModelTests
{
    [Theory]
    [InlineData(0.1, 0.0, -0.3, 1.5)]
    [InlineData(0.05, 0.4, 0.1, 1.2)]
    [InlineData(0.3, -0.2, -0.2, 1.9)]
    public void TheThreeFormsAgreeStepByStepAndConserveE(double epsilon, double conserved, double z0, double t0)
    {
        var model = D1P2Model.WithEpsilon(epsilon, conserved, eta: 0.7);
        var start = new D1P2State(z0, t0);
        var theta = model.ParametersOf(start);
        var closed = start;
        var recursion = (start.Z, conserved + 2 * start.Z, start.T0);
        for (int t = 0; t < 60; t++)
        {
            var fromTheta = model.StateOf(theta);
            Assert.Equal(closed.Z, fromTheta.Z, 1e-10);
            Assert.Equal(closed.T0, fromTheta.T0, 1e-10);
            Assert.Equal(closed.Z, recursion.Item1, 1e-10);
            Assert.Equal(closed.T0, recursion.Item3, 1e-10);
            Assert.Equal(conserved, recursion.Item2 - 2 * recursion.Item1, 1e-10);   // Ẽ = T(−1) − 2z̃
            theta = model.ParameterStep(theta);
            closed = model.Step(closed);
            recursion = model.RecursionStep(recursion);
        }
    }

    [Fact]
    public void SymmetricCaseNeverSharpensWhileConverging()
    {
        var model = new D1P2Model(lambda: -1, conserved: 0);
        var random = new Random(3);
        for (int i = 0; i < 200; i++)
        {
            var s = new D1P2State(random.NextDouble() - 0.5, 4 * random.NextDouble());
            var next = model.Step(s);
            Assert.Equal(s.Z * s.Z * (s.T0 - 4), next.T0 - s.T0, 1e-12);           // T(0)' − T(0) = z̃²(T(0) − 4)
            if (s.T0 < 4) Assert.True(next.T0 <= s.T0);
        }
    }

    [Fact]
    public void Theorem31FinalSharpnessIsTwoMinusHalfEpsilonPlusOrderEpsilonSquared()
    {
        var scaled = new List<double>();
        foreach (var epsilon in new[] { 0.1, 0.05, 0.02, 0.01, 0.005 })
        {
            var model = D1P2Model.WithEpsilon(epsilon);
            var path = model.Simulate(new D1P2State(-0.5, 1.5), 2_000_000, converged: 1e-13);
            Assert.True(path.Max(p => p.T0) > 2, "the start must sharpen past 2 (EOS)");
            Assert.True(Math.Abs(path[^1].Z) < 1e-13, $"ε = {epsilon}: not converged");
            double deviation = path[^1].T0 - (2 - epsilon / 2);
            scaled.Add(deviation / (epsilon * epsilon));
        }
        // The deviation shrinks like ε²: its ratio to ε² stays bounded and settles (measured ≈ −0.99 … −0.85).
        Assert.All(scaled, r => Assert.InRange(r, -1.5, 1.5));
        Assert.True(Math.Abs(scaled[^1] - scaled[^2]) < 0.05, string.Join(", ", scaled));
    }

    [Fact]
    public void TwoStepLawHoldsToFirstOrderNearTheNullcline()
    {
        // y measured from the two-step nullcline f(z̃) (the change of variables y = T(0) − f(z̃)).
        var model = D1P2Model.WithEpsilon(0.05);
        foreach (var (z, y) in new[] { (1e-2, 0.01), (-2e-2, -0.02), (5e-3, 0.005), (1e-3, 1e-3) })
        {
            var s = new D1P2State(z, model.TwoStepNullcline(z) + y);
            Assert.Equal(y, model.Y(s), 1e-9);
            var twoStep = model.TwoStep(s).Z - z;
            Assert.Equal(2 * y * z, twoStep, Math.Abs(2 * y * z) * 0.1);
        }
    }

    [Fact]
    public void NullclinesAreFixedCurvesOfTheMap()
    {
        var model = D1P2Model.WithEpsilon(0.1, conserved: 0.2);
        foreach (var z in new[] { -0.3, -0.1, 0.05, 0.2 })
        {
            var (zNull, tNull) = model.Nullclines(z);
            Assert.Equal(z, model.Step(new D1P2State(z, zNull)).Z, 1e-12);
            Assert.Equal(tNull, model.Step(new D1P2State(z, tNull)).T0, 1e-12);
            double f = model.TwoStepNullcline(z);
            Assert.Equal(z, model.TwoStep(new D1P2State(z, f)).Z, 1e-10);
        }
        Assert.Equal(2.0, D1P2Model.WithEpsilon(0.1).TwoStepNullcline(1e-7), 1e-5);
    }

    [Fact]
    public void RefusesAStateNoRealParameterHas()
    {
        var model = D1P2Model.WithEpsilon(0.1);
        Assert.Throws<ArgumentException>(() => model.ParametersOf(new D1P2State(0.5, 0.1)));
    }
}
