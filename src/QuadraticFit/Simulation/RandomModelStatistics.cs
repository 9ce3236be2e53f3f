using QuadraticFit.Models;
using static TorchSharp.torch;

namespace QuadraticFit.Simulation;

/// <summary>
/// Theorem 4.1's ratio E[λ̈_max(0)]/E[λ_max(0)] by Monte Carlo (<see cref="Ratio"/>, from the exact λ̈ of each
/// model) and from the Q- and z-averaged formula on the same Jacobians (<see cref="Predicted"/>); both
/// with delta-method standard errors. Lambda, LambdaDot and LambdaDdot are the plain means; LambdaDot is
/// Theorem 4.1's E[λ̇_max(0)] = 0, measured.
/// </summary>
public sealed record SharpeningEstimate(Estimate Ratio, Estimate Predicted, Estimate Lambda, Estimate LambdaDdot, Estimate LambdaDot);

/// <summary>Early gradient flow averaged over models: E[λ_max(t)]/E[λ_max(0)] at each time.</summary>
public sealed record FlowCurve(double[] Times, Estimate[] RelativeLambda);

/// <summary>
/// Monte Carlo statistics of random quadratic models at initialisation (paper §4), over seeds.
/// <list type="bullet">
/// <item>Progressive sharpening under gradient flow ż = −JJᵀz, J̇ = −Q(Jᵀz, ·): Theorem 4.1's
/// E[λ̈_max(0)] / E[λ_max(0)] from <see cref="SharpeningRate"/>, and the early flow itself.</item>
/// <item>The nonlinearity ratio r_NL = ‖½η²Q(Jᵀz, Jᵀz)‖ / ‖ηJJᵀz‖ of the first GD step (Eq. 27's ratio of the
/// second- to the first-order change of z); by its form it grows like η·σ_z and does not depend on σ_J.</item>
/// </list>
/// </summary>
public static class RandomModelStatistics
{
    public static SharpeningEstimate Sharpening(int d, int p, double sigmaZ, double sigmaJ, int seeds, long firstSeed = 0,
        QConvention convention = QConvention.Goe)
    {
        var lambdas = new List<double>();
        var ddots = new List<double>();
        var dots = new List<double>();
        var expected = new List<double>();
        for (int s = 0; s < seeds; s++)
        {
            using var scope = NewDisposeScope();
            using var m = QuadraticModel.Random(d, p, sigmaZ, sigmaJ, firstSeed + s, convention);
            var j = m.Jacobian(m.Theta);
            lambdas.Add(SharpeningRate.TopEigenvalue(j));
            ddots.Add(SharpeningRate.Exact(m.Q, m.Residual(m.Theta), j));
            dots.Add(SharpeningRate.FirstDerivative(m.Q, m.Residual(m.Theta), j));
            expected.Add(SharpeningRate.Expected(j, sigmaZ) * convention.Variance());    // E[λ̈ | J] is quadratic in Q
        }
        return new SharpeningEstimate(Estimate.Ratio(ddots, lambdas), Estimate.Ratio(expected, lambdas), Estimate.Of(lambdas), Estimate.Of(ddots),
            Estimate.Of(dots));
    }

    /// <summary>E[λ_max(t)]/E[λ_max(0)] along RK4 gradient flow for t = 0, dt, …, steps·dt, over seeds.</summary>
    public static FlowCurve Flow(int d, int p, double sigmaZ, double sigmaJ, int seeds, double dt, int steps, long firstSeed = 0,
        QConvention convention = QConvention.Goe)
    {
        var paths = new List<double[]>();
        for (int s = 0; s < seeds; s++)
        {
            using var m = QuadraticModel.Random(d, p, sigmaZ, sigmaJ, firstSeed + s, convention);
            paths.Add(GradientFlow.TopEigenvalue(m, dt, steps));
        }
        var start = paths.Select(x => x[0]).ToList();
        return new FlowCurve(Enumerable.Range(0, steps + 1).Select(t => t * dt).ToArray(),
            Enumerable.Range(0, steps + 1).Select(t => Estimate.Ratio(paths.Select(x => x[t]).ToList(), start)).ToArray());
    }

    /// <summary>r_NL of Eq. 27 at initialisation by Monte Carlo over seeds: the exact value is <see cref="NonlinearitySeries.Prefactor"/>.</summary>
    public static Estimate NonlinearityRatio(int d, int p, double sigmaZ, double sigmaJ, double eta, int seeds, long firstSeed = 0,
        QConvention convention = QConvention.Goe)
    {
        var second = new List<double>();
        var first = new List<double>();
        for (int s = 0; s < seeds; s++)
        {
            using var scope = NewDisposeScope();
            using var m = QuadraticModel.Random(d, p, sigmaZ, sigmaJ, firstSeed + s, convention);
            var z = m.Residual(m.Theta);
            var j = m.Jacobian(m.Theta);
            var v = j.t().mv(z);
            second.Add((0.5 * eta * eta * m.Q.matmul(v).mv(v)).square().sum().item<double>());
            first.Add((eta * j.mv(v)).square().sum().item<double>());
        }
        // The paper's r_NL is a ratio of expectations, (E‖second‖² / E‖first‖²)^½, not a mean of ratios: at small D the
        // norms do not concentrate and the two differ (by 20% at D = 4). Its error is the delta method's, halved by the root.
        var squared = Estimate.Ratio(second, first);
        double ratio = Math.Sqrt(squared.Mean);
        return new Estimate(ratio, squared.StandardError / (2 * ratio), seeds);
    }
}
