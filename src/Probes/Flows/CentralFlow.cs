using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;
using Probes.Models;
using static TorchSharp.torch;

namespace Probes.Flows;

/// <summary>
/// GD's central flow (Cohen, Damian, Talwalkar, Kolter &amp; Lee, ICLR 2025) at one θ, in GD-step time units:
/// dθ/dt = −η[∇L + ½ Σᵢⱼ Xᵢⱼ ∇(uᵢᵀHuⱼ)], with u₁…u_c the Hessian eigenvectors whose η·λ exceeds a critical level (held fixed
/// inside the gradient ∇(uᵢᵀHuⱼ) = ∇³L[uᵢ, uⱼ]) and X ⪰ 0 (c × c, the covariance of GD's oscillation in their span) chosen so
/// that an Euler substep of length dt keeps η·λ ≤ 2 on the span: with Gᵢⱼ = ∇³L[uᵢ, uⱼ], the projected Hessian after the
/// substep is, to first order, diag(λ) + dt·[Gₐ_b·θ̇]ₐ_b, and 2/η·I minus it must be ⪰ 0 and complementary to X. That is the
/// complementarity problem A + B[X] with A = 2/η·I − diag(λ) − dt·[Gₐ_b·(−η∇L)] and B[X]ₐ_b = dt·(η/2)·Σᵢⱼ ⟨Gₐ_b, Gᵢⱼ⟩Xᵢⱼ
/// (<see cref="SemidefiniteComplementarity"/>). At the edge with one eigenvalue, X = max(0, 2⟨−∇L, ∇S⟩/‖∇S‖²) = δ² of
/// self-stabilization. GD's time-averaged loss is predicted as L(θ) + tr(X)/η and its time-averaged gradient as −θ̇/η.
/// </summary>
public static class CentralFlow
{
    /// <summary>η·λ above which an eigenvalue takes part (the reference code's 1.95): below it X is 0 on it anyway unless the
    /// substep would carry it past 2, and including it early lets the flow hold it the substep it arrives.</summary>
    public const double DefaultCritical = 1.95;

    /// <summary>The velocity θ̇ at the point (length P, float64), X on the critical eigenvectors and their number c.</summary>
    public sealed record Velocity(Tensor Theta, Matrix<double> X, int Critical, double SolverResidual) : IDisposable
    {
        /// <summary>X's eigenvalues, largest first: the oscillation's variances along its principal directions.</summary>
        public double[] XEigenvalues => Critical == 0 ? []
            : [.. X.Evd(Symmetricity.Symmetric).EigenValues.Select(e => e.Real).OrderDescending()];

        public void Dispose() => Theta.Dispose();
    }

    /// <summary>
    /// θ̇ at <paramref name="point"/> from its top Hessian eigenpairs (largest first, unit vectors): the critical ones are those with
    /// η·λ &gt; <paramref name="critical"/>; c(c + 1)/2 third-order products and one gradient.
    /// </summary>
    public static Velocity At(IDifferentiablePoint point, IReadOnlyList<(double Value, Tensor Vector)> top, double eta, double dt,
        double critical = DefaultCritical)
    {
        using var scope = NewDisposeScope();
        var minusGradient = point.JacobianTransposed(point.LossGradient).div_(-point.SampleCount);   // −∇L
        var edge = top.Where(p => eta * p.Value > critical).ToArray();
        int c = edge.Length;
        var velocity = minusGradient.mul(eta);
        if (c == 0)
            return new Velocity(velocity.MoveToOuterDisposeScope(), Matrix<double>.Build.Dense(0, 0), 0, 0);
        var g = new Tensor[c, c];
        for (int a = 0; a < c; a++)
            for (int b = a; b < c; b++)
                g[a, b] = g[b, a] = point.LossThirdOrder(edge[a].Vector, edge[b].Vector);
        var a0 = Matrix<double>.Build.Dense(c, c, (i, j) =>
            (i == j ? 2 / eta - edge[i].Value : 0) - dt * eta * g[i, j].dot(minusGradient).item<double>());
        var b0 = Matrix<double>.Build.Dense(c * c, c * c, (r, s) => dt * eta / 2 * g[r % c, r / c].dot(g[s % c, s / c]).item<double>());
        var solution = SemidefiniteComplementarity.Solve(a0, b0);
        for (int i = 0; i < c; i++)
            for (int j = 0; j < c; j++)
                if (solution.X[i, j] != 0) velocity.add_(g[i, j], alpha: -eta / 2 * solution.X[i, j]);
        return new Velocity(velocity.MoveToOuterDisposeScope(), solution.X, c, solution.Residual);
    }
}
