using MathNet.Numerics.LinearAlgebra;
using QuadraticFit.Models;
using Xunit;
using Xunit.Abstractions;

namespace Probes.Tests;

/// <summary>
/// The paper's lowest-order two-step laws (Eqs. 18–19) and Theorem 3.1, measured on the D = 1, P = 2 map
/// rather than assumed: coefficients by least squares over a grid of small (z̃, y), y = T(0) − f_z̃(z̃) the
/// distance from the z̃ nullcline, and the theorem's limit over a neighbourhood of starts.
/// </summary>
public class TwoStepExpansionTests(ITestOutputHelper output)
{
    /// <summary>Least-squares coefficients of <paramref name="target"/> on the monomials zᵃyᵇ listed, over a grid of small (z̃, y).</summary>
    private static double[] Fit(D1P2Model model, (int Z, int Y)[] terms, Func<D1P2State, D1P2State, double, double> target)
    {
        var rows = new List<double[]>();
        var values = new List<double>();
        foreach (double z in new[] { -8e-3, -4e-3, -2e-3, -1e-3, 1e-3, 2e-3, 4e-3, 8e-3 })
            foreach (double y in new[] { -4e-3, -2e-3, -1e-3, -5e-4, 5e-4, 1e-3, 2e-3, 4e-3 })
            {
                var s = new D1P2State(z, model.TwoStepNullcline(z) + y);
                rows.Add([.. terms.Select(t => Math.Pow(z, t.Z) * Math.Pow(y, t.Y))]);
                values.Add(target(s, model.TwoStep(s), y));
            }
        var a = Matrix<double>.Build.DenseOfRowArrays(rows);
        // Columns differ in scale by orders of magnitude: solve on unit columns, then scale back.
        var norms = Enumerable.Range(0, a.ColumnCount).Select(c => a.Column(c).L2Norm()).ToArray();
        var scaled = Matrix<double>.Build.Dense(a.RowCount, a.ColumnCount, (r, c) => a[r, c] / norms[c]);
        var x = scaled.QR().Solve(Vector<double>.Build.DenseOfEnumerable(values));
        return [.. x.Select((v, c) => v / norms[c])];
    }

    [Theory]
    [InlineData(0.02)]
    [InlineData(0.05)]
    [InlineData(0.1)]
    [InlineData(0.2)]
    public void Equations18And19HoldToLeadingOrder(double epsilon)
    {
        var model = D1P2Model.WithEpsilon(epsilon);
        // Eq. 18: z̃ₜ₊₂ − z̃ₜ = 2yz̃ + O(y²z̃) + O(yz̃²); the fit carries the next orders so they do not bias 2.
        var dz = Fit(model, [(1, 1), (1, 2), (2, 1), (3, 0), (3, 1), (1, 3)], (s, next, _) => next.Z - s.Z);
        // Eq. 19: yₜ₊₂ − yₜ = −2(4 − 3ε + 4ε²)yz̃² − 4εz̃² + O(εz̃³ + y²z̃²).
        var dy = Fit(model, [(2, 1), (2, 0), (3, 0), (2, 2), (4, 0), (3, 1), (1, 1), (1, 0), (0, 1)],
            (s, next, y) => model.Y(next) - y);
        double yz2 = -2 * (4 - 3 * epsilon + 4 * epsilon * epsilon), z2 = -4 * epsilon;
        output.WriteLine($"ε = {epsilon}: Eq. 18 y·z̃ {dz[0]:F6} (paper 2); Eq. 19 y·z̃² {dy[0]:F5} (paper {yz2:F5}), "
            + $"z̃² {dy[1]:F6} (paper {z2:F6}); lower orders in Δy: y·z̃ {dy[6]:E1}, z̃ {dy[7]:E1}, y {dy[8]:E1}");
        Assert.Equal(2, dz[0], 1e-3);                                    // tells 2 from 2.2, and from 2.002
        Assert.True(Math.Abs(dy[0] - yz2) < 1e-3 * Math.Abs(yz2), $"y·z̃²: {dy[0]} vs {yz2}");   // measured ≤ 1.2e-4
        Assert.True(Math.Abs(dy[1] - z2) < 1e-3 * Math.Abs(z2), $"z̃²: {dy[1]} vs {z2}");
        // Nothing of lower order: Δy starts at z̃².
        Assert.True(Math.Abs(dy[6]) < 1e-3 && Math.Abs(dy[7]) < 1e-6 && Math.Abs(dy[8]) < 1e-6, string.Join(", ", dy));
    }

    /// <summary>
    /// Theorem 3.1 speaks of an ε-independent neighbourhood of starts: over a 5 × 5 grid of (z̃₀, T₀(0))
    /// around (−0.5, 1.5), every start converges (z̃ → 0) and ends at 2 − ε/2 + O(ε²), for each ε.
    /// </summary>
    [Fact]
    public void Theorem31HoldsOverANeighbourhoodOfStarts()
    {
        var starts = (from z in new[] { -0.6, -0.55, -0.5, -0.45, -0.4 }
                      from t in new[] { 1.4, 1.45, 1.5, 1.55, 1.6 }
                      select new D1P2State(z, t)).ToArray();
        foreach (var epsilon in new[] { 0.05, 0.02, 0.01 })
        {
            var model = D1P2Model.WithEpsilon(epsilon);
            var finals = new List<double>();
            foreach (var start in starts)
            {
                var path = model.Simulate(start, 2_000_000, converged: 1e-12);
                if (Math.Abs(path[^1].Z) < 1e-12 && path.Max(p => p.T0) > 2) finals.Add(path[^1].T0);
            }
            double fraction = finals.Count / (double)starts.Length;
            var scaled = finals.Select(f => (f - (2 - epsilon / 2)) / (epsilon * epsilon)).ToArray();
            output.WriteLine($"ε = {epsilon}: {fraction:P0} of {starts.Length} starts reach EOS and converge; final T(0) "
                + $"{finals.Min():F6} … {finals.Max():F6}; (T(0) − (2 − ε/2))/ε² in [{scaled.Min():F3}, {scaled.Max():F3}]");
            Assert.Equal(1.0, fraction);
            Assert.All(scaled, r => Assert.InRange(r, -1.5, 1.5));
            Assert.True(finals.Max() - finals.Min() < 0.01 * epsilon * epsilon, "the limit depends on the start beyond O(ε²)");
        }
    }
}
