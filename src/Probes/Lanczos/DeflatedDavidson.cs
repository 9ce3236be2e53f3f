using MathNet.Numerics.LinearAlgebra;
using Probes.Operators;
using static TorchSharp.torch;

namespace Probes.Lanczos;

/// <summary>
/// Block Davidson for the top eigenpairs of a symmetric positive semi-definite operator, preconditioned by a
/// <see cref="DeflationSpace"/>: the correction of a Ritz pair (θ, u) with residual r is
/// c = W (θ − μ)⁻¹ Wᵀ r + (I − W Wᵀ) r / (θ − σ), an approximate (θ − A)⁻¹ that is exact on the span of W
/// and treats the rest of the spectrum, [0, β], as the one value σ = β/2 that is best in the worst case.
/// </summary>
/// <remarks>
/// Trade-offs. Lanczos converges at a rate set by the gap below the wanted eigenvalues relative to the whole
/// spectrum; with a cluster just below (the NTK at the edge of stability: λ₂ − λ₃ ≈ 6 against a spread of
/// 200) that is ~0.7 per matvec whatever the start. This preconditioner removes the cluster when its
/// eigenvectors are roughly known, and they drift slowly: on the paper's network a space estimated once
/// to 1e-2 kept the top-2 solve at 6–7 matvecs for 120 steps, against 16–20 for Lanczos from the same start
/// (bench --run DIR --deflation-study). Each correction costs one matvec, like a Lanczos vector, plus two
/// m-fold dot products with W; W costs m·N floats. Without a good start or a good space it is no faster
/// than Lanczos, so the probes use it only when probing step by step. Accumulation is float64 and residuals
/// are exact: the image A s of every basis vector is kept.
/// </remarks>
public static class DeflatedDavidson
{
    public static LanczosResult Solve(ILinearOperator op, IReadOnlyList<Tensor> start, DeflationSpace deflation,
        int count, double tolerance, int maxIterations, long seed = 0)
    {
        if (start.Count < count) throw new ArgumentException($"Davidson needs {count} start vectors, got {start.Count}.");
        if (deflation.Vectors.shape[^1] != op.Size)
            throw new ArgumentException($"deflation vectors of length {deflation.Vectors.shape[^1]} for an operator of size {op.Size}.");
        using var scope = NewDisposeScope();
        var random = new Generator((ulong)seed);
        var basis = new List<Tensor>();
        var images = new List<Tensor>();
        foreach (var s in start) Expand(op, basis, images, s.to(float64).to(op.Device), random);
        var w = deflation.Vectors.to(float64).to(op.Device);
        var mu = tensor(deflation.Values, float64).to(op.Device);
        var climbed = new HashSet<int>();
        while (true)
        {
            var s = stack(basis);
            var a = stack(images);
            var (values, ritz) = RayleighRitz(s, a);
            var pairs = ritz.Take(count).Select(y =>
            {
                var u = s.t().mv(y.Vector);
                var r = a.t().mv(y.Vector).sub_(u * y.Value);
                return (Theta: y.Value, U: u, R: r, Residual: r.norm().item<double>() / Math.Abs(y.Value));
            }).ToList();
            var open = pairs.Where(p => p.Residual > tolerance).ToList();
            if (open.Count == 0 && Climb(op, basis, images, w, deflation.Values, pairs[^1].Theta, climbed, maxIterations)) continue;
            if (open.Count == 0 || basis.Count + open.Count > maxIterations || basis.Count >= op.Size)
                return new LanczosResult
                {
                    Top = pairs.Select(p => new RitzPair(p.Theta, p.U.MoveToOuterDisposeScope(), p.Residual)).ToList(),
                    Bottom = [],
                    RitzValues = values,
                    RitzWeights = [],
                    Iterations = basis.Count,
                    Converged = open.Count == 0,
                };
            foreach (var p in open)
            {
                var coefficients = w.mv(p.R);
                // θ − μ keeps its sign (a W value above θ is a crossing) but not a vanishing size.
                var gaps = p.Theta - mu;
                gaps = gaps.abs().clamp_min(1e-8 * p.Theta).mul_(gaps.ge(0).to(float64).mul_(2).sub_(1));
                var inside = w.t().mv(coefficients / gaps);
                var outside = (p.R - w.t().mv(coefficients)).div_(p.Theta - BulkValue(p.Theta, deflation.BulkEdge));
                Expand(op, basis, images, inside.add_(outside), random);
            }
        }
    }

    /// <summary>
    /// The preconditioner steers each pair to the eigenvector nearest it, not to the top: a space vector whose
    /// value μ lies above the k-th converged θ (the top pair has sunk below it since the space was estimated)
    /// joins the basis, so Rayleigh–Ritz can climb to it. Returns whether any did.
    /// </summary>
    private static bool Climb(ILinearOperator op, List<Tensor> basis, List<Tensor> images, Tensor w, double[] mu,
        double lowest, HashSet<int> climbed, int maxIterations)
    {
        int before = basis.Count;
        for (int j = 0; j < mu.Length && basis.Count < maxIterations; j++)
            if (mu[j] > lowest && climbed.Add(j)) Expand(op, basis, images, w[j], random: null);
        return basis.Count > before;
    }

    /// <summary>
    /// Orthonormalises v against the basis (Gram–Schmidt, twice) and adds it with its image; a correction
    /// already in the span (the space is exhausted there) is replaced by a seeded random vector, or dropped
    /// without a generator.
    /// </summary>
    private static void Expand(ILinearOperator op, List<Tensor> basis, List<Tensor> images, Tensor v, Generator? random)
    {
        for (int attempt = 0; attempt < 4; attempt++)
        {
            v = v.clone();
            double before = v.norm().item<double>();
            for (int pass = 0; pass < 2; pass++)
                foreach (var b in basis) v.sub_(b * b.dot(v));
            double norm = v.norm().item<double>();
            if (norm > 1e-10 * before && norm > 0)
            {
                basis.Add(v.div_(norm));
                images.Add(op.Apply(v));
                return;
            }
            if (random is null) return;
            v = randn([op.Size], float64, generator: random).to(op.Device);
        }
    }

    /// <summary>Eigenpairs of Sᵀ A S (MathNet.Numerics), largest first.</summary>
    private static (double[] Ascending, List<(double Value, Tensor Vector)> Descending) RayleighRitz(Tensor s, Tensor a)
    {
        var h = s.matmul(a.t());
        h = (h + h.t()).div_(2).contiguous();
        int m = (int)h.shape[0];
        var evd = Matrix<double>.Build.DenseOfRowMajor(m, m, h.cpu().data<double>().ToArray()).Evd(Symmetricity.Symmetric);
        var values = evd.EigenValues.Select(c => c.Real).ToArray();
        var order = Enumerable.Range(0, m).OrderByDescending(i => values[i]).ToList();
        var descending = order.Select(i => (values[i], tensor(evd.EigenVectors.Column(i).ToArray(), float64).to(s.device))).ToList();
        return (values.OrderBy(v => v).ToArray(), descending);
    }

    /// <summary>
    /// The single σ for the bulk [0, β] that puts the preconditioned bulk eigenvalues (θ − λ)/(θ − σ) closest
    /// to 1 in the worst case: θ − σ is the mean of θ − β and θ, σ = β/2 (kept below θ when β comes near it).
    /// </summary>
    public static double BulkValue(double theta, double edge) => Math.Min(edge, 0.9 * theta) / 2;
}
