using QuadraticFit.Models;
using static TorchSharp.torch;

namespace QuadraticFit.Simulation;

/// <summary>
/// Gradient flow of a quadratic model in function space (paper Eq. 22, with the loss's 1/n):
/// ż = −JJᵀz/n, J̇ = −Q(Jᵀz, ·)/n, integrated by classical RK4. The flow is smooth and reversible, so a
/// negative time step runs it backwards. RK4's error is O(dt⁴) per unit time: keep dt·λ_max well below 1.
/// </summary>
public static class GradientFlow
{
    /// <summary>One RK4 step of length <paramref name="dt"/> (negative: backwards) from (z, J).</summary>
    public static (Tensor Z, Tensor J) Step(QuadraticModel model, Tensor z, Tensor j, double dt)
    {
        double n = model.SampleCount;
        (Tensor, Tensor) F(Tensor zz, Tensor jj)
        {
            var w = jj.t().mv(zz);
            return (-jj.mv(w) / n, -model.Q.matmul(w) / n);
        }
        var (k1z, k1j) = F(z, j);
        var (k2z, k2j) = F(z + 0.5 * dt * k1z, j + 0.5 * dt * k1j);
        var (k3z, k3j) = F(z + 0.5 * dt * k2z, j + 0.5 * dt * k2j);
        var (k4z, k4j) = F(z + dt * k3z, j + dt * k3j);
        return (z + dt / 6 * (k1z + 2 * k2z + 2 * k3z + k4z), j + dt / 6 * (k1j + 2 * k2j + 2 * k3j + k4j));
    }

    /// <summary>λ_max of K = JJᵀ/n at times 0, dt, …, steps·dt along the flow from the model's current θ.</summary>
    public static double[] TopEigenvalue(QuadraticModel model, double dt, int steps)
    {
        using var scope = NewDisposeScope();
        var z = model.Residual(model.Theta);
        var j = model.Jacobian(model.Theta);
        var lambdas = new double[steps + 1];
        for (int t = 0; ; t++)
        {
            using var inner = NewDisposeScope();
            lambdas[t] = SharpeningRate.TopEigenvalue(j) / model.SampleCount;
            if (t == steps) break;
            var (z2, j2) = Step(model, z, j, dt);
            z = z2.MoveToOuterDisposeScope();
            j = j2.MoveToOuterDisposeScope();
        }
        return lambdas;
    }
}
