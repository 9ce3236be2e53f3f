using MathNet.Numerics.LinearAlgebra;
using Probes.Operators;
using static TorchSharp.torch;

namespace Probes.Eigensolvers;

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
/// to 1e-2 kept the top-2 solve at 6–9 matvecs for 120 steps, against 16–22 for Lanczos from the same start
/// (bench --run DIR --deflation-study). Each correction costs one matvec, like a Lanczos vector, plus two
/// m-fold dot products with W; W costs m·N floats. Without a good start or a good space it is no faster
/// than Lanczos, so the probes use it only when probing step by step. The loss Hessian is not semi-definite,
/// but its negative eigenvalues are small next to its top (the Gauss–Newton part dominates), so [0, β] still
/// describes its bulk well enough: 8–11 matvecs per EOS step there. A wrong σ or W costs speed, never
/// accuracy: convergence is judged on exact residuals. Accumulation is float64 and residuals
/// are exact: the image A s of every basis vector is kept.
/// </remarks>
public static class DeflatedDavidson
{
    /// <summary>
    /// Most basis vectors (each with its image) a run holds: 2·48 P-vectors are 504 MB at the paper's scale.
    /// A run that fills it returns unconverged, and the probes fall back to Lanczos (it took 6–12 on the paper's network).
    /// </summary>
    public const int MaxBasis = 48;

    public static LanczosResult Solve(ILinearOperator op, IReadOnlyList<Tensor> start, DeflationSpace deflation,
        int count, double tolerance, int maxIterations, long seed = 0)
    {
        if (start.Count < count) throw new ArgumentException($"Davidson needs {count} start vectors, got {start.Count}.");
        if (deflation.Vectors.shape[^1] != op.Size)
            throw new ArgumentException($"deflation vectors of length {deflation.Vectors.shape[^1]} for an operator of size {op.Size}.");
        using var scope = NewDisposeScope();
        var random = new Generator((ulong)seed);
        using var space = new Subspace(op, Math.Min(Math.Min(maxIterations, MaxBasis), (int)op.Size));
        space.Expand(start.Select(s => s.to(float64).to(op.Device)).ToList(), random);
        var w = deflation.Vectors.to(float64).to(op.Device);
        var mu = tensor(deflation.Values, float64).to(op.Device);
        var climbed = new HashSet<int>();
        while (true)
        {
            using var iteration = NewDisposeScope();          // each pass's Ritz vectors and corrections
            if (!space.Finite)            // a diverged network: NaN pairs, so the probe reports them
                return new LanczosResult
                {
                    Top = Enumerable.Range(0, count).Select(_ => new RitzPair(double.NaN,
                        full(op.Size, double.NaN, float64, op.Device).MoveToOuterDisposeScope().MoveToOuterDisposeScope(), double.NaN)).ToList(),
                    Bottom = [], RitzValues = [double.NaN], RitzWeights = [], Iterations = space.Count, Converged = false,
                };
            var (values, pairs) = space.RitzPairs(count);
            var open = pairs.Where(p => p.Residual > tolerance).ToList();
            if (open.Count == 0 && Climb(space, w, deflation.Values, pairs[^1].Theta, climbed)) continue;
            if (open.Count == 0 || space.Count + open.Count > space.Capacity)
            {
                return new LanczosResult
                {
                    Top = pairs.Select(p => new RitzPair(p.Theta, p.U.MoveToOuterDisposeScope().MoveToOuterDisposeScope(), p.Residual)).ToList(),
                    Bottom = [],
                    RitzValues = values,
                    RitzWeights = [],
                    Iterations = space.Count,
                    Converged = open.Count == 0,
                };
            }
            // All open pairs at once, so W and the basis are read once a pass (BLAS-3), not once a pair:
            // c = W(θ − μ)⁻¹Wᵀr + (I − WWᵀ)r/(θ − σ) = Wᵀ[(θ − μ)⁻¹ − (θ − σ)⁻¹]Wr + r/(θ − σ), W as rows.
            var residuals = stack(open.Select(p => p.R).ToList());                          // [b, N]
            var thetas = tensor(open.Select(p => p.Theta).ToArray(), float64).to(op.Device);  // [b]
            var bulk = tensor(open.Select(p => 1 / (p.Theta - BulkValue(p.Theta, deflation.BulkEdge))).ToArray(), float64).to(op.Device);
            var gaps = thetas.unsqueeze(1) - mu.unsqueeze(0);                                // [b, m]
            // θ − μ keeps its sign (a W value above θ is a crossing) but not a vanishing size.
            gaps = gaps.abs().maximum(thetas.unsqueeze(1).abs().mul(1e-8)).mul_(gaps.ge(0).to(float64).mul_(2).sub_(1));
            var weights = residuals.matmul(w.t()).mul_(gaps.reciprocal().sub_(bulk.unsqueeze(1)));   // [b, m]
            var corrections = weights.matmul(w).add_(residuals.mul_(bulk.unsqueeze(1)));
            space.Expand(Enumerable.Range(0, open.Count).Select(i => corrections[i]).ToList(), random);
        }
    }

    /// <summary>
    /// The preconditioner steers each pair to the eigenvector nearest it, not to the top: a space vector whose
    /// value μ lies above the k-th converged θ (the top pair has sunk below it since the space was estimated)
    /// joins the basis, so Rayleigh–Ritz can climb to it. Returns whether any did.
    /// </summary>
    private static bool Climb(Subspace space, Tensor w, double[] mu, double lowest, HashSet<int> climbed)
    {
        int before = space.Count;
        for (int j = 0; j < mu.Length && space.Count < space.Capacity; j++)
            if (mu[j] > lowest && climbed.Add(j)) space.Expand([w[j]], random: null);
        return space.Count > before;
    }

    /// <summary>
    /// The search space: orthonormal rows S and their images A·S (rows of buffers reserved for the cap, see
    /// <see cref="BasisRows"/>), and the projection H = S A Sᵀ, grown by one row and column per vector.
    /// </summary>
    private sealed class Subspace(ILinearOperator op, int capacity) : IDisposable
    {
        private readonly BasisRows _rows = new(op.Size, capacity, op.Device), _images = new(op.Size, capacity, op.Device);
        private readonly double[,] _projection = new double[capacity, capacity];

        public int Count => _rows.Count;

        /// <summary>Whether every entry of the projection is finite (false once the operator returned NaN or ∞).</summary>
        public bool Finite { get; private set; } = true;
        public int Capacity => capacity;
        private Tensor Rows => _rows.Active;
        private Tensor Images => _images.Active;

        /// <summary>
        /// Orthonormalises the vectors against the rows and each other (the block against the basis by
        /// Gram–Schmidt twice, four reads of the basis for the whole block) and adds them with their images;
        /// a vector already in the span (the space is exhausted there) is replaced by a seeded random one, or
        /// dropped without a generator. Stops at the capacity.
        /// </summary>
        public void Expand(List<Tensor> vectors, Generator? random)
        {
            using var scope = NewDisposeScope();
            var block = stack(vectors);
            var reference = block.norm(dim: 1).data<double>().ToArray();
            _rows.Orthogonalise(block);
            var fresh = _rows.Orthonormalised(Enumerable.Range(0, vectors.Count).Select(i => block[i]).ToList(), orthogonalToBasis: true, 0, random,
                reference)
                .Take(capacity - Count).ToList();
            if (fresh.Count == 0) return;
            int first = Count;
            foreach (var v in fresh)
                using (var image = op.Apply(v)) { _rows.Add(v); _images.Add(image); }
            // H[i, j] = ½(sᵢ·A s_j + s_j·A sᵢ): symmetric whatever the rounding of the two products; one
            // read of the rows and one of the images for the whole block.
            int b = fresh.Count;
            var left = Rows.matmul(_images.From(first).t()).data<double>().ToArray();     // [Count, b]
            var right = Images.matmul(_rows.From(first).t()).data<double>().ToArray();
            for (int jj = 0; jj < b; jj++)
                for (int i = 0; i <= first + jj; i++)
                {
                    double value = 0.5 * (left[i * b + jj] + right[i * b + jj]);
                    _projection[i, first + jj] = _projection[first + jj, i] = value;
                }
            if (!left.Concat(right).All(double.IsFinite)) Finite = false;
        }

        /// <summary>All Ritz values (ascending) and the top <paramref name="count"/> pairs with their residuals A u − θ u.</summary>
        public (double[] Values, List<(double Theta, Tensor U, Tensor R, double Residual)> Pairs) RitzPairs(int count)
        {
            var h = Matrix<double>.Build.Dense(Count, Count, (r, c) => _projection[r, c]);
            var evd = h.Evd(Symmetricity.Symmetric);
            var values = evd.EigenValues.Select(c => c.Real).ToArray();
            var top = Enumerable.Range(0, Count).OrderByDescending(i => values[i]).Take(count).ToArray();
            // All the pairs from one read of the rows and one of the images: U = Yᵀ S, R = Yᵀ (A S) − Θ U.
            var y = tensor(top.SelectMany(i => evd.EigenVectors.Column(i).ToArray()).ToArray(), float64).view(top.Length, Count).to(op.Device);
            var u = y.matmul(Rows);
            var r = y.matmul(Images).sub_(u * tensor(top.Select(i => values[i]).ToArray(), float64).to(op.Device).unsqueeze(1));
            var norms = r.norm(dim: 1).data<double>().ToArray();
            var pairs = top.Select((i, k) => (values[i], u[k], r[k], norms[k] / Math.Abs(values[i]))).ToList();
            return (values.OrderBy(x => x).ToArray(), pairs);
        }

        public void Dispose()
        {
            _rows.Dispose();
            _images.Dispose();
        }
    }

    /// <summary>
    /// The single σ for the bulk [0, β] that puts the preconditioned bulk eigenvalues (θ − λ)/(θ − σ) closest
    /// to 1 in the worst case: θ − σ is the mean of θ − β and θ, σ = β/2 (kept below θ when β comes near it).
    /// </summary>
    public static double BulkValue(double theta, double edge) => Math.Min(edge, 0.9 * theta) / 2;
}
