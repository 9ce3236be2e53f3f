using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;
using Probes.Operators;
using static TorchSharp.torch;

namespace Probes.Eigensolvers;

/// <summary>
/// The eigenpairs of a symmetric operator within a given span (Rayleigh–Ritz): the span is orthonormalised, A is applied once per
/// vector, and the k × k projection VᵀAV is diagonalised. No residual is driven down: the pairs are exact for A restricted to the
/// span and as good as the span is otherwise. Where the span is the top eigenvectors of a nearby operator (the central flow's
/// substeps, a quarter of a GD step apart), the values are off by O(‖ΔA‖²/gap) and the vectors by O(‖ΔA‖/gap) for k products,
/// where a warm-started solve to a tolerance takes several times k. Each pair carries its relative residual ‖Av − θv‖/|θ| (from the
/// images already computed), so a caller can tell when the span has gone stale.
/// </summary>
public static class RayleighRitz
{
    /// <summary>The pairs largest first, unit vectors float64 in the caller's dispose scope, with their relative residuals.</summary>
    public static RitzPair[] Pairs(ILinearOperator op, IReadOnlyList<Tensor> span)
    {
        if (span.Count == 0) return [];
        if (span.Any(v => v.numel() != op.Size))
            throw new ArgumentException($"span vectors of length {span[0].numel()} for an operator of size {op.Size}.");
        using var scope = NewDisposeScope();
        // Q of the thin QR of [v₁ … v_k]: the same span, orthonormal in float64 whatever the vectors were rounded to.
        var (q, _) = linalg.qr(stack(span.Select(v => v.to(float64).to(op.Device)).ToArray(), dim: 1));
        var basis = Enumerable.Range(0, span.Count).Select(i => q[.., i].contiguous()).ToArray();
        var images = basis.Select(op.Apply).ToArray();
        int k = basis.Length;
        var projected = Matrix<double>.Build.Dense(k, k, (i, j) => basis[i].dot(images[j]).item<double>());
        var evd = ((projected + projected.Transpose()) / 2).Evd(Symmetricity.Symmetric);
        var order = Enumerable.Range(0, k).OrderByDescending(i => evd.EigenValues[i].Real).ToArray();
        var rotation = tensor(evd.EigenVectors.ToColumnArrays().SelectMany(c => c).ToArray(), float64).view(k, k).to(op.Device); // rows: eigenvectors
        var (stacked, imaged) = (stack(basis), stack(images));                                        // [k, N] each
        return [.. order.Select(i =>
        {
            double value = evd.EigenValues[i].Real;
            var vector = rotation[i].matmul(stacked);
            double residual = (rotation[i].matmul(imaged) - vector * value).norm().item<double>() / Math.Max(Math.Abs(value), 1e-300);
            return new RitzPair(value, vector.MoveToOuterDisposeScope(), residual);
        })];
    }
}
