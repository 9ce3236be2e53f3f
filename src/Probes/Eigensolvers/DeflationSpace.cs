using Probes.Operators;
using static TorchSharp.torch;

namespace Probes.Eigensolvers;

/// <summary>
/// Approximate eigenpairs just below the wanted ones, for <see cref="DeflatedDavidson"/>'s preconditioner:
/// orthonormal rows W (m × N), their values μ (descending), and β, an upper bound on the rest of the spectrum.
/// </summary>
public sealed record DeflationSpace(Tensor Vectors, double[] Values, double BulkEdge) : IDisposable
{
    /// <summary>
    /// Relative residual the space is estimated to. It only shapes the preconditioner, so it can be coarse:
    /// on the paper's network a space at 1e-4 (112 matvecs to estimate, against 84) gave the same Davidson
    /// matvec counts as one at 1e-2 at every step of 4,801–4,813 (bench --run DIR --deflation-study).
    /// </summary>
    public const double Tolerance = 1e-2;

    public int Size => Values.Length;

    /// <summary>
    /// Eigenpairs skip+1 … skip+size of <paramref name="op"/> by block Lanczos (one block of skip+size vectors,
    /// from <paramref name="warm"/> where given) to <paramref name="tolerance"/> (default <see cref="Tolerance"/>);
    /// the top <paramref name="skip"/> come back too, as <paramref name="top"/>, for a solve that had no start of its own.
    /// </summary>
    public static DeflationSpace Estimate(ILinearOperator op, int skip, int size, long seed, int maxIterations,
        IReadOnlyList<Tensor>? warm, out LanczosResult top, double tolerance = Tolerance)
    {
        var result = LanczosSolver.Solve(op, new LanczosOptions
        {
            Count = skip + size,
            BlockSize = skip + size,
            Tolerance = tolerance,
            MaxIterations = maxIterations,
            MaxBasis = Math.Max(LanczosOptions.DefaultMaxBasis, 4 * (skip + size)),
            Seed = seed,
            WarmStart = warm is { Count: > 0 } ? warm : null,
        });
        var below = result.Top.Skip(skip).ToArray();
        var space = new DeflationSpace(stack(below.Select(p => p.Vector).ToArray()).DetachFromDisposeScope(),
            below.Select(p => p.Value).ToArray(), below[^1].Value);
        foreach (var p in below) p.Vector.Dispose();
        top = new LanczosResult
        {
            Top = result.Top.Take(skip).ToList(), Bottom = [], RitzValues = result.RitzValues, RitzWeights = result.RitzWeights,
            Iterations = result.Iterations, Converged = result.Converged,
        };
        return space;
    }

    public void Dispose() => Vectors.Dispose();
}
