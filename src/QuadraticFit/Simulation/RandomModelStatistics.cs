using QuadraticFit.Models;
using static TorchSharp.torch;

namespace QuadraticFit.Simulation;

/// <summary>A Monte Carlo mean with its standard error.</summary>
public sealed record Estimate(double Mean, double StandardError, int Samples)
{
    public static Estimate Of(IReadOnlyList<double> values)
    {
        double mean = values.Average();
        double variance = values.Sum(v => (v - mean) * (v - mean)) / Math.Max(values.Count - 1, 1);
        return new Estimate(mean, Math.Sqrt(variance / values.Count), values.Count);
    }
}

/// <summary>
/// Monte Carlo statistics of random quadratic models at initialisation (paper §4), over seeds.
/// <list type="bullet">
/// <item>Progressive sharpening under gradient flow ż = −JJᵀz, J̇ = −Q(Jᵀz, ·): λ̈_max(0), by central differences
/// of λ_max along the flow integrated with RK4 forwards and backwards (the flow is reversible), reported as
/// E[λ̈_max(0)] / E[λ_max(0)] (Theorem 4.1's quantity).</item>
/// <item>The nonlinearity ratio r_NL = ‖½η²Q(Jᵀz, Jᵀz)‖ / ‖ηJJᵀz‖ of the first GD step (Eq. 27's ratio of the
/// second- to the first-order change of z); by its form it grows like η·σ_z and does not depend on σ_J.</item>
/// </list>
/// </summary>
public static class RandomModelStatistics
{
    public static (Estimate Ratio, Estimate Lambda, Estimate LambdaDdot) Sharpening(int d, int p, double sigmaZ, double sigmaJ, int seeds, double h = 1e-3)
    {
        var lambdas = new List<double>();
        var ddots = new List<double>();
        for (int s = 0; s < seeds; s++)
        {
            using var scope = NewDisposeScope();
            using var m = QuadraticModel.Random(d, p, sigmaZ, sigmaJ, s);
            var z = m.Residual(m.Theta);
            var j = m.Jacobian(m.Theta);
            double l0 = LambdaMax(j);
            double scale = h / Math.Max(l0, 1e-12);                 // a time step small against 1/λ
            double lp = LambdaMax(Flow(m, z, j, scale).J), lm = LambdaMax(Flow(m, z, j, -scale).J);
            lambdas.Add(l0);
            ddots.Add((lp - 2 * l0 + lm) / (scale * scale));
        }
        var lambda = Estimate.Of(lambdas);
        var ddot = Estimate.Of(ddots);
        // Ratio of means; its standard error by the delta method.
        double ratio = ddot.Mean / lambda.Mean;
        double se = Math.Abs(ratio) * Math.Sqrt(Math.Pow(ddot.StandardError / ddot.Mean, 2) + Math.Pow(lambda.StandardError / lambda.Mean, 2));
        return (new Estimate(ratio, se, seeds), lambda, ddot);
    }

    public static Estimate NonlinearityRatio(int d, int p, double sigmaZ, double sigmaJ, double eta, int seeds)
    {
        var values = new List<double>();
        for (int s = 0; s < seeds; s++)
        {
            using var scope = NewDisposeScope();
            using var m = QuadraticModel.Random(d, p, sigmaZ, sigmaJ, s);
            var z = m.Residual(m.Theta);
            var j = m.Jacobian(m.Theta);
            var v = j.t().mv(z);
            double second = (0.5 * eta * eta * m.Q.matmul(v).mv(v)).norm().item<double>();
            double first = (eta * j.mv(v)).norm().item<double>();
            values.Add(second / first);
        }
        return Estimate.Of(values);
    }

    private static double LambdaMax(Tensor j) => linalg.eigvalsh(j.matmul(j.t()))[-1].item<double>();

    /// <summary>One RK4 step of gradient flow in function space over time dt.</summary>
    private static (Tensor Z, Tensor J) Flow(QuadraticModel m, Tensor z, Tensor j, double dt)
    {
        (Tensor, Tensor) F(Tensor zz, Tensor jj)
        {
            var v = jj.t().mv(zz);
            return (-jj.mv(v), -m.Q.matmul(v));
        }
        var (k1z, k1j) = F(z, j);
        var (k2z, k2j) = F(z + 0.5 * dt * k1z, j + 0.5 * dt * k1j);
        var (k3z, k3j) = F(z + 0.5 * dt * k2z, j + 0.5 * dt * k2j);
        var (k4z, k4j) = F(z + dt * k3z, j + dt * k3j);
        return (z + dt / 6 * (k1z + 2 * k2z + 2 * k3z + k4z), j + dt / 6 * (k1j + 2 * k2j + 2 * k3j + k4j));
    }
}
