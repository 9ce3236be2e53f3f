using QuadraticFit.Models;
using QuadraticFit.Simulation;
using Xunit;
using Xunit.Abstractions;

namespace Probes.Tests;

/// <summary>Monte Carlo checks of §4 on small random models (printed for the record, asserted qualitatively).</summary>
public class RandomModelStatisticsTests(ITestOutputHelper output)
{
    [Fact]
    public void GradientFlowSharpensAtFirstAndMoreSoForLargerResiduals()
    {
        const int d = 20, p = 40, seeds = 40;
        var ratios = new List<(double S2, Estimate R)>();
        foreach (var sz in new[] { 0.5, 1.0, 2.0 })
        {
            var (sigmaZ, sigmaJ) = QuadraticModel.Rescaled(sz, 1.0, d, p);
            var estimate = RandomModelStatistics.Sharpening(d, p, sigmaZ, sigmaJ, seeds);
            var ratio = estimate.Ratio;
            output.WriteLine($"σ̃_z = {sz}: E[λ̈]/E[λ] = {ratio.Mean:G4} ± {ratio.StandardError:G2}, averaged formula {estimate.Predicted.Mean:G4} ± {estimate.Predicted.StandardError:G2}");
            ratios.Add((sigmaZ * sigmaZ, ratio));
            // Monte Carlo and the Q-, z-averaged formula share the Jacobians; they differ by Q and z noise only.
            Assert.InRange(estimate.Predicted.Mean, ratio.Mean - 4 * ratio.StandardError, ratio.Mean + 4 * ratio.StandardError);
        }
        Assert.All(ratios, r => Assert.True(r.R.Mean > 2 * r.R.StandardError, $"not significantly positive: {r.R}"));
        // Growth with σ_z²: quadrupling σ_z² should roughly quadruple the ratio (within Monte Carlo error).
        double growth = ratios[2].R.Mean / ratios[1].R.Mean;
        output.WriteLine($"ratio growth for 4× σ_z²: {growth:F2}");
        Assert.InRange(growth, 2.5, 6);
    }

    [Fact]
    public void NonlinearityRatioGrowsLinearlyInSigmaZAndEtaAndIgnoresSigmaJ()
    {
        var baseline = RandomModelStatistics.NonlinearityRatio(20, 40, 0.05, 0.2, 0.5, 30).Mean;
        Assert.Equal(2 * baseline, RandomModelStatistics.NonlinearityRatio(20, 40, 0.10, 0.2, 0.5, 30).Mean, 1e-9 * baseline);
        Assert.Equal(2 * baseline, RandomModelStatistics.NonlinearityRatio(20, 40, 0.05, 0.2, 1.0, 30).Mean, 1e-9 * baseline);
        Assert.Equal(baseline, RandomModelStatistics.NonlinearityRatio(20, 40, 0.05, 0.6, 0.5, 30).Mean, 1e-9 * baseline);
    }
}
