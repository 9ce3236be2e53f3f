using QuadraticFit.Models;
using QuadraticFit.Planes;
using Xunit;

namespace Probes.Tests;

/// <summary>The phase planes of the D = 1, P = 2 model against the paper's Appendix B.3–B.4 (Eqs. 67–70).</summary>
public class D1P2PlaneTests
{
    [Theory]
    [InlineData(-0.1, 0.0)]
    [InlineData(-0.1, 0.5)]
    [InlineData(-1.0, 0.5)]
    [InlineData(0.5, -0.3)]
    [InlineData(-0.05, 0.0)]
    public void OneStepNullclinesAreThePapersEquations69And70(double lambda, double conserved)
    {
        var model = new D1P2Model(lambda, conserved);
        double a = -1 / lambda;                                   // the paper's a: T(−1) = (1 − a)T(0) + aT(1)
        foreach (double z in new[] { -0.7, -0.1, 0.2, 0.9 })
        {
            var (fz, fT) = model.Nullclines(z);
            double eq69 = z * (2 * z + conserved) / (2 * a - (a - 1) * z);
            double eq70 = -((a - 1) * z - 2 * a) / ((a * a - a + 1) * z - 2 * a * (a - 1)) * (2 * z + conserved);
            Assert.Equal(eq69, fz, 1e-12);
            Assert.Equal(eq70, fT, 1e-12);
            // And they are what they claim: one step leaves z̃ (resp. T(0)) where it was.
            Assert.Equal(z, model.Step(new D1P2State(z, fz)).Z, 1e-12);
            Assert.Equal(fT, model.Step(new D1P2State(z, fT)).T0, 1e-12);
        }
    }

    [Theory]
    [InlineData(-0.1, 0.0)]        // a = 10 > 1: the upward cone of Eq. 67
    [InlineData(-0.1, 0.4)]
    [InlineData(0.5, 0.0)]         // a = −2 < −1: the sideways cone of Eq. 68
    [InlineData(0.5, -0.4)]
    public void TheReachableRegionIsThePapersCone(double lambda, double conserved)
    {
        var model = new D1P2Model(lambda, conserved);
        double a = -1 / lambda;
        int reachable = 0, total = 0;
        foreach (var s in new PlaneWindow(-1.5, 1.5, -1, 4, 41, 41).Grid())
        {
            double edge = 2 * s.Z + conserved;
            bool paper = a > 1 ? s.T0 > edge && s.T0 > -edge / a : -edge / a < s.T0 && s.T0 < edge;
            Assert.True(paper == model.IsReachable(s), $"(z̃, T) = ({s.Z}, {s.T0}): paper {paper}, model {model.IsReachable(s)}");
            if (paper)
            {
                reachable++;
                var back = model.StateOf(model.ParametersOf(s));           // a real θ has it
                Assert.Equal(s.Z, back.Z, 1e-9);
                Assert.Equal(s.T0, back.T0, 1e-9);
            }
            total++;
        }
        Assert.InRange(reachable, 1, total - 1);                          // neither everything nor nothing
        Assert.Equal(total - reachable, D1P2Plane.Forbidden(model, new PlaneWindow(-1.5, 1.5, -1, 4, 41, 41)).Count);
    }

    [Fact]
    public void TheTwoStepNullclinesMeetAtTheEdgeAndTheirGapIsLinearInEpsilon()
    {
        double Gap(double epsilon, double z)
        {
            var m = D1P2Model.WithEpsilon(epsilon);
            return Math.Abs(m.TwoStepNullcline(z, 1.5, 2.5) - m.TwoStepTNullcline(z, 1.5, 2.5));
        }
        foreach (double epsilon in new[] { 0.01, 0.05 })
        {
            var model = D1P2Model.WithEpsilon(epsilon);
            foreach (double z in new[] { -1e-3, 1e-3, -1e-2, 1e-2 })
            {
                Assert.InRange(model.TwoStepNullcline(z, 1.5, 2.5) - 2, -3 * Math.Abs(z), 3 * Math.Abs(z));   // through (0, 2)
                Assert.InRange(model.TwoStepTNullcline(z, 1.5, 2.5) - 2, -3 * Math.Abs(z), 3 * Math.Abs(z));
                var s = new D1P2State(z, model.TwoStepTNullcline(z, 1.5, 2.5));
                Assert.Equal(s.T0, model.TwoStep(s).T0, 1e-12);
            }
        }
        // Appendix B.4: the distance between them is linear in ε (measured: ×2.02 and ×2.05 per doubling at z̃ = −0.1).
        foreach (double z in new[] { -0.1, 0.1 })
        {
            Assert.InRange(Gap(0.02, z) / Gap(0.01, z), 1.9, 2.2);
            Assert.InRange(Gap(0.04, z) / Gap(0.02, z), 1.9, 2.2);
            Assert.True(Gap(0.01, z) < 2e-3, $"ε = 0.01, z̃ = {z}: gap {Gap(0.01, z)}");
        }
    }

    [Fact]
    public void FinalCurvatureIsWhereTheMapSettlesAndNaNWhereItDoesNot()
    {
        var model = D1P2Model.WithEpsilon(0.05);
        var start = new D1P2State(-0.5, 1.5);
        double final = model.FinalCurvature(start);
        var path = model.Simulate(start, 20000, converged: 1e-12);
        Assert.Equal(path[^1].T0, final, 1e-12);
        Assert.InRange(final, 2 - 0.05 / 2 - 0.01, 2 - 0.05 / 2);       // Theorem 3.1: (2 − ε/2) + O(ε²), below
        Assert.True(double.IsNaN(model.FinalCurvature(new D1P2State(-0.5, 4.5))), "a start far beyond the edge diverges");
        Assert.True(double.IsNaN(model.FinalCurvature(start, maxSteps: 10)), "still moving after 10 steps");
    }

    [Fact]
    public void RandomStartsAreReachableReproducibleAndPeakNearTheEdge()
    {
        var model = D1P2Model.WithEpsilon(0.05);
        var window = new PlaneWindow(-1, 1, 0, 3);
        var finals = D1P2Plane.RandomFinals(model, window, 400, seed: 3);
        Assert.Equal(400, finals.Count);
        Assert.All(finals, f => Assert.True(model.IsReachable(f.Start)));
        Assert.Equal(finals, D1P2Plane.RandomFinals(model, window, 400, seed: 3));
        var converged = finals.Select(f => f.FinalT0).Where(double.IsFinite).ToArray();
        // The histogram of Figure 9 (right): no final curvature above the edge, and a peak just below it.
        Assert.All(converged, t => Assert.True(t <= 2 + 1e-9, $"final T(0) {t} above the edge"));
        double nearEdge = converged.Count(t => t > 1.9) / (double)converged.Length;
        double sameWidthBelow = converged.Count(t => t > 1.7 && t <= 1.8) / (double)converged.Length;
        Assert.True(nearEdge > 2 * sameWidthBelow, $"fraction in (1.9, 2]: {nearEdge:F3}, in (1.7, 1.8]: {sameWidthBelow:F3}");
    }
}
