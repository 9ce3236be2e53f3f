using Probes.Operators;
using static TorchSharp.torch;

namespace Probes.Eigensolvers;

/// <summary>
/// The eigensolvers behind one door, as MathNet.Numerics' <c>FindRoots</c> is over its algorithm folder: ask
/// for what you want of a symmetric operator, not for an algorithm. Each call states its accuracy (relative
/// residual ‖A v − θ v‖ ≤ tol·|θ| per pair) and its cost cap; the results carry both.
/// </summary>
/// <remarks>
/// Trade-offs: <see cref="Largest"/>, <see cref="Smallest"/> and <see cref="BothEnds"/> are block Lanczos with
/// full reorthogonalisation and thick restarts (memory: <see cref="LanczosOptions.MaxBasis"/> vectors); robust
/// from any start, ~20 matvecs for a top-2 to 1e-6 on the paper's NTK. <see cref="LargestDeflated"/> is a
/// Davidson run preconditioned by a <see cref="DeflationSpace"/>: 4–8 matvecs from a good start (the previous
/// step's vectors), but it needs the space (one <see cref="DeflationSpaceBelow"/>, ~84 matvecs) and a start
/// near the answer. <see cref="Density"/> is stochastic Lanczos quadrature: the whole spectrum's shape, not
/// its extremes.
/// </remarks>
public static class Spectrum
{
    /// <summary>The k largest eigenpairs.</summary>
    public static LanczosResult Largest(ILinearOperator op, int k, double tolerance = LanczosOptions.DefaultTolerance,
        IReadOnlyList<Tensor>? warmStart = null, long seed = 0, int maxIterations = LanczosOptions.DefaultMaxIterations) =>
        LanczosSolver.Solve(op, Options(k, SpectrumEnd.Largest, tolerance, warmStart, seed, maxIterations) with { BlockSize = k });

    /// <summary>The k smallest eigenpairs.</summary>
    public static LanczosResult Smallest(ILinearOperator op, int k, double tolerance = LanczosOptions.DefaultTolerance,
        IReadOnlyList<Tensor>? warmStart = null, long seed = 0, int maxIterations = LanczosOptions.DefaultMaxIterations) =>
        LanczosSolver.Solve(op, Options(k, SpectrumEnd.Smallest, tolerance, warmStart, seed, maxIterations) with { BlockSize = k });

    /// <summary>The k largest and the k smallest from one Krylov space (indefinite operators such as Q₁).</summary>
    public static LanczosResult BothEnds(ILinearOperator op, int k, double tolerance = LanczosOptions.DefaultTolerance,
        IReadOnlyList<Tensor>? warmStart = null, long seed = 0, int maxIterations = LanczosOptions.DefaultMaxIterations) =>
        LanczosSolver.Solve(op, Options(k, SpectrumEnd.Both, tolerance, warmStart, seed, maxIterations));

    /// <summary>The k largest by deflated Davidson from <paramref name="start"/> (k vectors).</summary>
    public static LanczosResult LargestDeflated(ILinearOperator op, IReadOnlyList<Tensor> start, DeflationSpace space, int k,
        double tolerance = LanczosOptions.DefaultTolerance, long seed = 0, int maxIterations = LanczosOptions.DefaultMaxIterations) =>
        DeflatedDavidson.Solve(op, start, space, k, tolerance, maxIterations, seed);

    /// <summary>
    /// The <paramref name="size"/> eigenpairs just below the top <paramref name="k"/>, to precondition
    /// <see cref="LargestDeflated"/>.
    /// </summary>
    public static DeflationSpace DeflationSpaceBelow(ILinearOperator op, int k, int size, long seed = 0,
        int maxIterations = LanczosOptions.DefaultMaxIterations)
    {
        var space = DeflationSpace.Estimate(op, k, size, seed, maxIterations, warm: null, out var top);
        top.Dispose();
        return space;
    }

    /// <summary>A smoothed spectral density from <paramref name="vectors"/> random starts of <paramref name="steps"/> Lanczos steps.</summary>
    public static Density Density(ILinearOperator op, int vectors, int steps, long seed = 0) =>
        SpectralDensity.Estimate(op, vectors, steps, seed);

    private static LanczosOptions Options(int k, SpectrumEnd end, double tolerance, IReadOnlyList<Tensor>? warmStart, long seed,
        int maxIterations) =>
        new()
        {
            Count = k, End = end, Tolerance = tolerance, Seed = seed, MaxIterations = maxIterations,
            WarmStart = warmStart is { Count: > 0 } ? warmStart : null,
        };
}
