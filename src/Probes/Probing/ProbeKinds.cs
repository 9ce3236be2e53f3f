namespace Probes.Probing;

/// <summary>Which probes run.</summary>
[Flags]
public enum ProbeKinds
{
    None = 0,
    /// <summary>NTK eigenpairs λ₁…λ_k, z₁, z₂, y.</summary>
    Ntk = 1,
    /// <summary>Top-k eigenvalues of the loss Hessian.</summary>
    Hessian = 2,
    /// <summary>Both spectrum ends of Q₁ = Σ v₁_α ∇²f_α and of Q_r for a fixed random unit r.</summary>
    Q1 = 4,
    /// <summary>The one-step z₁ split (linear, second order, ratio) and the realised Δz₁.</summary>
    Ratio = 8,
    /// <summary>
    /// Self-stabilization (Damian, Nichani &amp; Lee 2023) where the Hessian runs: ∇S = ∇³L[u, u] and α, β, δ² = 2α/β against
    /// the oscillation x along u.
    /// </summary>
    SelfStabilization = 16,
    /// <summary>
    /// The optimizer's preconditioned sharpness at the midpoint θₜ + ½Δθ of its own step, the centre of a period-2 orbit,
    /// where the central flow holds it at the threshold (the iterates θ̄ ± x·u differ from it by ½x²·∂²S/∂u² on average).
    /// </summary>
    Midpoint = 32,
}
