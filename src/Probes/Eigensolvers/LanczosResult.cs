using static TorchSharp.torch;

namespace Probes.Eigensolvers;

/// <summary>One Ritz pair: value, unit vector (float64) and relative residual ‖A v − θ v‖ / |θ|.</summary>
public sealed record RitzPair(double Value, Tensor Vector, double Residual);

/// <summary>
/// What a Lanczos run found: the wanted pairs at each end (Top in descending, Bottom in ascending order),
/// all Ritz values of the final Krylov space (for spectra and densities), and its cost.
/// </summary>
public sealed class LanczosResult : IDisposable
{
    public required IReadOnlyList<RitzPair> Top { get; init; }
    public required IReadOnlyList<RitzPair> Bottom { get; init; }

    /// <summary>Every Ritz value of the last tridiagonal matrix, ascending.</summary>
    public required double[] RitzValues { get; init; }

    /// <summary>First components of the Ritz vectors in the Krylov basis (weights of SLQ quadrature).</summary>
    public required double[] RitzWeights { get; init; }

    /// <summary>Operator applications (matvecs); the Krylov dimension reached when there was no restart.</summary>
    public required int Iterations { get; init; }

    /// <summary>Thick restarts (basis full at <see cref="LanczosOptions.MaxBasis"/>); RitzValues and RitzWeights are a Lanczos quadrature only
    /// without them.</summary>
    public int Restarts { get; init; }

    /// <summary>Whether every wanted pair met the tolerance before the iteration cap.</summary>
    public required bool Converged { get; init; }

    /// <summary>The largest relative residual among the wanted pairs.</summary>
    public double MaxResidual => Top.Concat(Bottom).Select(p => p.Residual).DefaultIfEmpty(0).Max();

    public void Dispose()
    {
        foreach (var p in Top.Concat(Bottom)) p.Vector.Dispose();
    }
}
