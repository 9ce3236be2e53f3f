using static TorchSharp.torch;

namespace Probes.Eigensolvers;

/// <summary>
/// Settings of <see cref="LanczosSolver"/>. The defaults suit probing a network at every step: a tolerance
/// of 1e-6 relative residual resolves η·λ₁ far below its step-to-step change; the iteration cap bounds the
/// cost of a hard step and is reported, never silently hit.
/// </summary>
public sealed record LanczosOptions
{
    /// <summary>Eigenpairs wanted at each requested end.</summary>
    public int Count { get; init; } = 2;

    public SpectrumEnd End { get; init; } = SpectrumEnd.Largest;

    /// <summary>Converged when ‖A v − θ v‖ ≤ Tolerance·|θ| for every wanted Ritz pair.</summary>
    public double Tolerance { get; init; } = DefaultTolerance;

    /// <summary>The tolerance every probe uses unless told otherwise (train's --probe-tol).</summary>
    public const double DefaultTolerance = 1e-6;

    /// <summary>
    /// Hard cap on Krylov dimension (= matvecs). Hitting it is reported as not converged. With blocks of b
    /// vectors the run stops at the last whole block under the cap, so every reported residual is exact.
    /// </summary>
    public int MaxIterations { get; init; } = DefaultMaxIterations;

    public const int DefaultMaxIterations = 300;

    /// <summary>
    /// Most basis vectors held at once. A run that needs more restarts thickly from the Ritz vectors at the
    /// wanted end(s) (Krylov–Schur), so memory is this many N-vectors whatever the iteration count: 64 rows
    /// of the paper's P = 656,810 are 336 MB. Restarts cost some extra matvecs on hard spectra, never accuracy.
    /// </summary>
    public int MaxBasis { get; init; } = DefaultMaxBasis;

    /// <summary>The default of <see cref="MaxBasis"/>.</summary>
    public const int DefaultMaxBasis = 64;

    /// <summary>
    /// Start vectors of a cold start (a warm start uses one per warm vector). Set it to the multiplicity you
    /// expect at the wanted end: b clustered eigenvalues then converge at the speed set by the gap below them.
    /// </summary>
    public int BlockSize { get; init; } = 1;

    /// <summary>How many Ritz pairs are wanted in all.</summary>
    public int Wanted => End == SpectrumEnd.Both ? 2 * Count : Count;

    /// <summary>Seed of the random start vector (and of restarts after an invariant subspace).</summary>
    public long Seed { get; init; } = 0;

    /// <summary>
    /// Previous eigenvectors to start from. The start vector is their normalised sum plus a small seeded
    /// random part (weight <see cref="WarmNoise"/>), so every warm vector spans the first Krylov vectors and
    /// a new eigenvector rising from below can still appear.
    /// </summary>
    public IReadOnlyList<Tensor>? WarmStart { get; init; }

    /// <summary>
    /// Norm of the random part added to each unit warm vector. Small: at an unchanged θ a warm start then
    /// converges in one block (measured: 2 matvecs for the top-2 NTK instead of 8 with 1e-3).
    /// </summary>
    public double WarmNoise { get; init; } = 1e-7;

    public void Validate(long size)
    {
        if (Count < 1) throw new ArgumentException($"Lanczos needs Count ≥ 1, got {Count}.");
        int wanted = End == SpectrumEnd.Both ? 2 * Count : Count;
        if (wanted > size)
            throw new ArgumentException($"asked for {wanted} eigenpairs of an operator of size {size}.");
        if (!(Tolerance > 0)) throw new ArgumentException($"Lanczos tolerance must be > 0, got {Tolerance}.");
        if (BlockSize < 1 || BlockSize > size) throw new ArgumentException($"Lanczos block size must be in 1..{size}, got {BlockSize}.");
        if (MaxBasis < 2 * wanted + 2 * Math.Max(BlockSize, WarmStart?.Count ?? 0) && MaxBasis < MaxIterations)
            throw new ArgumentException($"Lanczos MaxBasis {MaxBasis} is too small to restart with {wanted} wanted pairs.");
        if (MaxIterations < wanted) throw new ArgumentException($"Lanczos MaxIterations {MaxIterations} < {wanted} wanted pairs.");
    }
}
