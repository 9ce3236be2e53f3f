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
    /// The span of the critical pairs among <paramref name="top"/> (largest first, unit vectors; η·λ &gt; <paramref name="critical"/>):
    /// c(c + 1)/2 third-order products.
    /// </summary>
    public static Span Critical(IDifferentiablePoint point, IReadOnlyList<(double Value, Tensor Vector)> top, double eta,
        double critical = DefaultCritical)
    {
        using var scope = NewDisposeScope();
        var edge = top.Where(p => eta * p.Value > critical).ToArray();
        int c = edge.Length;
        var g = new Tensor[c, c];
        for (int a = 0; a < c; a++)
            for (int b = a; b < c; b++)
            {
                using var product = NewDisposeScope();          // each product's temporaries freed before the next
                g[a, b] = g[b, a] = point.LossThirdOrder(edge[a].Vector, edge[b].Vector).DetachFromDisposeScope();
            }
        return new Span(g, Matrix<double>.Build.Dense(c, c, (i, j) => i == j ? edge[i].Value : 0));
    }

    /// <summary>θ̇ at <paramref name="point"/> from its top Hessian eigenpairs: <see cref="Critical"/>, then the velocity.</summary>
    public static Velocity At(IDifferentiablePoint point, IReadOnlyList<(double Value, Tensor Vector)> top, double eta, double dt,
        double critical = DefaultCritical)
    {
        using var span = Critical(point, top, eta, critical);
        return At(point, span, eta, dt);
    }

    /// <summary>θ̇ at <paramref name="point"/> on a critical <paramref name="span"/> (carried to this point): one gradient.</summary>
    public static Velocity At(IDifferentiablePoint point, Span span, double eta, double dt)
    {
        using var scope = NewDisposeScope();
        var minusGradient = point.JacobianTransposed(point.LossGradient).div_(-point.SampleCount);   // −∇L
        int c = span.Count;
        var velocity = minusGradient.mul(eta);
        if (c == 0)
            return new Velocity(velocity.MoveToOuterDisposeScope(), Matrix<double>.Build.Dense(0, 0), 0, 0);
        var a0 = Matrix<double>.Build.Dense(c, c, (i, j) =>
            (i == j ? 2 / eta : 0) - span.Projected[i, j] - dt * eta * span.G(i, j).dot(minusGradient).item<double>());
        var solution = SemidefiniteComplementarity.Solve(a0, span.Gram * (dt * eta / 2));
        for (int i = 0; i < c; i++)
            for (int j = 0; j < c; j++)
                if (solution.X[i, j] != 0) velocity.add_(span.G(i, j), alpha: -eta / 2 * solution.X[i, j]);
        return new Velocity(velocity.MoveToOuterDisposeScope(), solution.X, c, solution.Residual);
    }

    /// <summary>
    /// The critical eigenvectors u₁…u_c (η·λ above the critical level) held over the substeps between two eigen-solves, with what
    /// the velocity needs of them: Gᵢⱼ = ∇³L[uᵢ, uⱼ], their Gram matrix, and M = UᵀHU, the Hessian on their span, exact where it
    /// was made (diag(λ)) and carried to first order as θ moves (<see cref="Advance"/>: M += [Gᵢⱼ·δ], no Hessian product). This
    /// is the same linearisation the complementarity problem makes over one substep, spread over several: it costs the third-order
    /// products once instead of at every substep, and errs by the second-order change of UᵀHU and the rotation of the eigenvectors
    /// out of the span, both caught at the next solve (or Rayleigh–Ritz refresh) of the span.
    /// </summary>
    public sealed class Span : IDisposable
    {
        private readonly Tensor[,] _g;
        private readonly Matrix<double> _gram;

        /// <summary>The number c of critical eigenvectors.</summary>
        public int Count { get; }

        /// <summary>UᵀHU on the span now (c × c).</summary>
        public Matrix<double> Projected { get; }

        /// <summary>A span from its third-order products (symmetric, each pair once: g[a, b] and g[b, a] the same tensor, owned by
        /// the span) and UᵀHU; <see cref="Critical"/> makes one, a checkpoint puts one back.</summary>
        public Span(Tensor[,] g, Matrix<double> projected)
        {
            _g = g;
            Count = projected.RowCount;
            Projected = projected;
            int c = Count;
            _gram = Matrix<double>.Build.Dense(c * c, c * c, (r, s) => g[r % c, r / c].dot(g[s % c, s / c]).item<double>());
        }

        /// <summary>Gᵢⱼ = ∇³L[uᵢ, uⱼ].</summary>
        public Tensor G(int i, int j) => _g[i, j];

        /// <summary>⟨Gₐ_b, Gᵢⱼ⟩ with (a, b) and (i, j) flattened column-major.</summary>
        public Matrix<double> Gram => _gram;

        /// <summary>UᵀHU after θ moves by <paramref name="delta"/>, to first order.</summary>
        public void Advance(Tensor delta)
        {
            for (int a = 0; a < Count; a++)
                for (int b = a; b < Count; b++)
                    Projected[a, b] = Projected[b, a] = Projected[a, b] + _g[a, b].dot(delta).item<double>();
        }

        public void Dispose()
        {
            for (int a = 0; a < Count; a++)
                for (int b = a; b < Count; b++) _g[a, b].Dispose();
        }
    }
}
