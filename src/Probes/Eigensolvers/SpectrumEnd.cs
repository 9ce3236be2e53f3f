namespace Probes.Eigensolvers;

/// <summary>Which end of a symmetric spectrum to resolve.</summary>
public enum SpectrumEnd
{
    /// <summary>The largest algebraic eigenvalues (the NTK, the loss Hessian's sharpness).</summary>
    Largest,
    /// <summary>The smallest algebraic eigenvalues.</summary>
    Smallest,
    /// <summary>Both ends from one Krylov space (Q₁ is indefinite; Lanczos converges both extremes at once).</summary>
    Both,
}
