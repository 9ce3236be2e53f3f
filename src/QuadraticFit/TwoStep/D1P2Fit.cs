using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Optimization;
using QuadraticFit.Models;

namespace QuadraticFit.TwoStep;

/// <summary>The D = 1, P = 2 model fitted to a network's two-step pairs.</summary>
public sealed record D1P2FitResult(double Epsilon, double ZScale, double Rms, int Pairs, double PredictedLimit, int Iterations);

/// <summary>
/// Fits the D = 1, P = 2 model (eigenvalues {1, −ε}, Ẽ = 0) to a network's (z₁, η·λ₁) pairs two steps apart:
/// with z̃ = s·z₁ and T(0) = η·λ₁, minimise over (ε, s) the squared misfit of the model's two-step map,
/// z̃ scaled by its spread and T(0) by its own, by Nelder–Mead (MathNet.Numerics). The model then predicts the
/// limit 2 − ε/2 (Theorem 3.1), to set against the network's observed mean η·λ₁ after onset.
/// </summary>
public static class D1P2Fit
{
    public static D1P2FitResult? Fit(double[] steps, double[] z1, double[] sharpness, int from = 0, int to = int.MaxValue)
    {
        var pairs = TwoStepFit.Pairs(steps, z1, sharpness, from, to);
        if (pairs.Count < 4) return null;
        double zSpread = Math.Sqrt(pairs.Average(p => z1[p.I] * z1[p.I])) + 1e-300;
        double tSpread = Math.Max(Std(pairs.Select(p => sharpness[p.I]).ToArray()), 1e-6);
        double Misfit(double epsilon, double scale)
        {
            var model = D1P2Model.WithEpsilon(epsilon);
            double sum = 0;
            foreach (var (_, i, j) in pairs)
            {
                var next = model.TwoStep(new D1P2State(scale * z1[i], sharpness[i]));
                double dz = (next.Z - scale * z1[j]) / (scale * zSpread);
                double dt = (next.T0 - sharpness[j]) / tSpread;
                sum += dz * dz + dt * dt;
            }
            return double.IsFinite(sum) ? sum / pairs.Count : 1e300;
        }
        // ε = 2·logistic(a) stays in (0, 2), where the model has an EOS; s = e^b stays positive. The scale is
        // started at several magnitudes (the misfit is not convex in it) and the best minimum kept.
        static double Eps(double a) => 2 / (1 + Math.Exp(-a));
        var objective = ObjectiveFunction.Value(v => Misfit(Eps(v[0]), Math.Exp(v[1])));
        MinimizationResult? best = null;
        foreach (var startScale in new[] { 0.01, 0.03, 0.1, 0.3, 1.0 })
        {
            var start = Vector<double>.Build.Dense([Math.Log(0.1 / 1.9), Math.Log(startScale / zSpread)]);
            var attempt = new NelderMeadSimplex(1e-12, 4000).FindMinimum(objective, start);
            if (best is null || attempt.FunctionInfoAtMinimum.Value < best.FunctionInfoAtMinimum.Value) best = attempt;
        }
        var result = best!;
        double eps = Eps(result.MinimizingPoint[0]), s = Math.Exp(result.MinimizingPoint[1]);
        return new D1P2FitResult(eps, s, Math.Sqrt(result.FunctionInfoAtMinimum.Value), pairs.Count, 2 - eps / 2, result.Iterations);
    }

    private static double Std(double[] v)
    {
        double m = v.Average();
        return Math.Sqrt(v.Average(x => (x - m) * (x - m)));
    }
}
