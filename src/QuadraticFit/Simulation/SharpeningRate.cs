using QuadraticFit.Models;
using static TorchSharp.torch;

namespace QuadraticFit.Simulation;

/// <summary>
/// The curvature λ̈_max(0) of the top NTK eigenvalue under gradient flow (ż = −Kz, J̇ = −Q[w] with
/// K = JJᵀ, w = Jᵀz, Q[w] = Q(w, ·); loss ½‖z‖², n = 1), the quantity of the paper's Theorem 4.1.
/// </summary>
/// <remarks>
/// <para><see cref="Exact"/> is second-order perturbation theory for one model:
/// λ̈ = v₁ᵀK̈v₁ + 2 Σ_{j≠1} (vⱼᵀK̇v₁)²/(λ₁ − λⱼ), with K̇ = J̇Jᵀ + JJ̇ᵀ, K̈ = J̈Jᵀ + 2J̇J̇ᵀ + JJ̈ᵀ,
/// J̈ = −Q[ẇ], ẇ = J̇ᵀz + Jᵀż. It is exact but singular where λ₁ and λ₂ cross (λ_max is not smooth there),
/// so over random models it is heavy-tailed: Monte Carlo standard errors converge slowly.</para>
/// <para><see cref="Expected"/> averages it analytically over Q (symmetric Gaussian, E[Q_αij Q_αkl] =
/// δ_ik δ_jl + δ_il δ_jk, as <see cref="QuadraticModel.Random"/> draws) and over z ~ N(0, σ_z² I), both
/// independent of J, using E_Q[Q_αij Q_αjk] summed over j = (P + 1) δ_ik:
/// E[λ̈ | J] = 2σ_z² { (P+1)(λ₁ + tr K) + Σ_{j≠1} [(λ₁ + λⱼ) tr K + λ₁² + λⱼ²]/(λ₁ − λⱼ) }.
/// Derived here, not taken from the paper. It shows E[λ̈]/E[λ] ∝ σ_z² exactly and independent of σ_J
/// (every term scales as σ_J² like λ), and it estimates the constant from J alone, with less noise.</para>
/// </remarks>
public static class SharpeningRate
{
    /// <summary>
    /// λ̇_max(0) = v₁ᵀK̇v₁ = −2 v₁ᵀ Q[Jᵀz] Jᵀv₁ of one model: linear in Q, so its mean over the symmetric
    /// Gaussian Q is 0, Theorem 4.1's first statement; measured by <see cref="RandomModelStatistics.Sharpening"/>.
    /// </summary>
    public static double FirstDerivative(Tensor q, Tensor z, Tensor j)
    {
        using var scope = NewDisposeScope();
        var (_, vectors) = Gram.Eigen(j);
        var v = vectors[.., -1];
        var jDot = -q.matmul(j.t().mv(z));                          // J̇ = −Q[Jᵀz]
        return 2 * v.dot(jDot.mv(j.t().mv(v))).item<double>();
    }

    /// <summary>Exact λ̈_max(0) of one model at (z, J); Q is D × P × P, symmetric in its last two indices.</summary>
    public static double Exact(Tensor q, Tensor z, Tensor j)
    {
        using var scope = NewDisposeScope();
        var (values, vectors) = Gram.Eigen(j);                     // ascending
        var v = vectors[.., -1];
        var w = j.t().mv(z);
        var jDot = -q.matmul(w);                                    // J̇ = −Q[w], D × P
        var wDot = jDot.t().mv(z) - j.t().mv(j.mv(w));              // J̇ᵀz + Jᵀż with ż = −Kz
        var jDdot = -q.matmul(wDot);
        var kDot = jDot.matmul(j.t());
        kDot = kDot + kDot.t();
        var kDdot = jDdot.matmul(j.t());
        kDdot = kDdot + kDdot.t() + 2 * jDot.matmul(jDot.t());
        double first = v.dot(kDdot.mv(v)).item<double>();
        int d = (int)values.shape[0];
        if (d == 1) return first;
        var couplings = vectors.t().mv(kDot.mv(v))[..(d - 1)];     // vⱼᵀK̇v₁, j ≠ 1
        var gaps = values[-1] - values[..(d - 1)];
        return first + 2 * (couplings.pow(2) / gaps).sum().item<double>();
    }

    /// <summary>E[λ̈_max(0) | J] over Q and z ~ N(0, σ_z² I) (see the remarks).</summary>
    public static double Expected(Tensor j, double sigmaZ)
    {
        using var scope = NewDisposeScope();
        var values = Gram.Values(j).data<double>().ToArray();
        int d = values.Length;
        double p = j.shape[1], top = values[^1], trace = values.Sum();
        double sum = (p + 1) * (top + trace);
        for (int k = 0; k < d - 1; k++)
            sum += ((top + values[k]) * trace + top * top + values[k] * values[k]) / (top - values[k]);
        return 2 * sigmaZ * sigmaZ * sum;
    }

    /// <summary>
    /// The large-D, P limit of E[λ̈_max(0)]/E[λ_max(0)] at fixed ρ = D/P: 2σ_z²·D·P, which in the paper's
    /// rescaling (σ_z = σ̃_z/D) is (2P/D)·σ̃_z², for any σ_J. Derived here from <see cref="Expected"/>: its
    /// leading terms are (P+1)·tr K and tr K·Σⱼ(λ₁+λⱼ)/(λ₁−λⱼ); with tr K ≈ σ_J²DP, the spectrum of K/(σ_J²P)
    /// Marchenko–Pastur (with its atom at 0 when ρ > 1) with edge b = (1+√ρ)² and Stieltjes transform
    /// g(b) = (b+ρ−1)/(2ρb) there, the sum is
    /// D(b−1)/ρ, so E[λ̈] ≈ 2σ_z²·σ_J²DP²·b and E[λ₁] ≈ σ_J²P·b. Finite sizes converge to it slowly (the
    /// λ₁–λ₂ gap closes like P^{-2/3} relative to the spectrum).
    /// </summary>
    public static double LimitCoefficient(int d, int p, QConvention convention = QConvention.Goe) => 2.0 * p / d * convention.Variance();

    /// <summary>λ_max(JJᵀ).</summary>
    public static double TopEigenvalue(Tensor j) => Gram.Values(j)[-1].item<double>();
}
