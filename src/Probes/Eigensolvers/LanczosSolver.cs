using MathNet.Numerics.LinearAlgebra;
using Probes.Operators;
using static TorchSharp.torch;

namespace Probes.Eigensolvers;

/// <summary>
/// Block Lanczos with full reorthogonalisation, for the extreme eigenpairs of a symmetric matrix-free
/// operator: the Krylov space of a start block, its projection T = Qᵀ A Q, and Rayleigh–Ritz.
/// </summary>
/// <remarks>
/// Trade-offs. Full reorthogonalisation (classical Gram–Schmidt, twice) costs O(N·m) per vector and keeps
/// the m basis vectors in memory, but removes ghost eigenvalues and makes every matvec count; at the sizes
/// probed here (m ≲ 100) the matvecs dominate. A block of b start vectors costs b matvecs per iteration but
/// separates b clustered or repeated eigenvalues by Rayleigh–Ritz rather than by the Krylov polynomial, so
/// its speed depends on the gap below the block, not inside it: that is what makes warm starts from the
/// previous probe's k eigenvectors cheap when λ₁ ≈ λ₂. With block size 1 it is classical Lanczos; an exactly
/// repeated eigenvalue then shows its multiplicity only once the Krylov space becomes invariant, when the
/// solver continues with a fresh random vector orthogonal to the basis. Accumulation is float64 whatever the
/// model's dtype; the residual of every Ritz pair is exact, ‖A Q y − θ Q y‖ = ‖R y_last‖ with R the part of
/// the last block's images outside the basis. MathNet.Numerics solves the small projected eigenproblem.
/// </remarks>
public static class LanczosSolver
{
    public static LanczosResult Solve(ILinearOperator op, LanczosOptions options)
    {
        options.Validate(op.Size);
        using var scope = NewDisposeScope();
        long n = op.Size;
        int cap = options.MaxIterations;             // matvecs; with restarts they may exceed N
        int rows = (int)Math.Min(Math.Min(options.MaxBasis, cap), n);
        var random = new Generator((ulong)options.Seed);
        using var basis = new BasisRows(n, rows, op.Device);
        var projection = new List<double[]>();      // columns of T = Qᵀ A Q, grown as the basis grows
        using (NewDisposeScope())
            foreach (var q in basis.Orthonormalised(StartBlock(op, options, random), orthogonalToBasis: false, 0, random).Take(rows)) basis.Add(q);
        double scale = 0;
        RitzProjection ritz;
        List<RitzCandidate> wanted;
        bool converged;
        int imaged = 0;                               // rows whose images are in the projection
        int matvecs = 0, restarts = 0;
        while (true)
        {
            // Each pass frees its images and residuals: only the basis rows and T outlive it.
            using var pass = NewDisposeScope();
            var fresh = basis.From(imaged);
            var images = empty(fresh.shape[0], n, float64, op.Device);
            for (int i = 0; i < fresh.shape[0]; i++)
                using (var image = op.Apply(fresh[i])) images[i].copy_(image);         // one image alive at a time
            matvecs += (int)images.shape[0];
            imaged = basis.Count;
            var coefficients = basis.Orthogonalise(images);            // Qᵀ A q for the new q; images → R
            var column = coefficients.data<double>().ToArray();
            if (basis.Count == 0 || !column.All(double.IsFinite)) return NotFinite(options, n, op.Device, matvecs);
            Extend(projection, column, basis.Count, (int)images.shape[0]);
            ritz = RitzProjection.Of(projection, basis.Count);
            scale = Math.Max(scale, ritz.SpectralRadius);
            wanted = ritz.Wanted(options, images, scale);
            converged = basis.Count >= options.Wanted && wanted.All(c => c.Residual <= options.Tolerance);
            if (converged || matvecs >= cap || basis.Count >= n) break;
            var next = basis.Orthonormalised(Enumerable.Range(0, (int)images.shape[0]).Select(i => images[i]).ToList(), orthogonalToBasis: true,
                scale, random);
            // A block cut short by the cap would leave part of the last images outside the basis, and the
            // residuals above would come out too small: stop before it instead.
            if (next.Count == 0 || matvecs + next.Count > cap) break;
            if (basis.Count + next.Count > rows)
            {
                // The kept Ritz vectors span part of the old basis, so the next block stays orthogonal to them.
                if (!Restart(basis, projection, ritz, options, next.Count)) break;
                imaged = basis.Count;
                restarts++;
            }
            foreach (var q in next) basis.Add(q);
            if (next.Count > 1) NativeHeap.Trim();      // block passes free many N-vectors at once
        }

        var krylov = basis.Active;
        RitzPair Pair(RitzCandidate c) =>
            new(c.Value, krylov.t().mv(ritz.Vector(c.Index).to(op.Device)).MoveToOuterDisposeScope(), c.Residual);
        return new LanczosResult
        {
            Top = wanted.Where(c => c.IsTop).Select(Pair).ToList(),
            Bottom = wanted.Where(c => !c.IsTop).Select(Pair).ToList(),
            RitzValues = ritz.Values,
            RitzWeights = ritz.FirstComponents,
            Iterations = matvecs,
            Restarts = restarts,
            Converged = converged,
        };
    }

    /// <summary>
    /// The answer for an operator that returned NaN or ∞ (a diverged network): NaN pairs, not converged, so
    /// the probe reports non-finite values and the run stops as diverged instead of crashing here.
    /// </summary>
    private static LanczosResult NotFinite(LanczosOptions o, long n, Device device, int matvecs)
    {
        RitzPair Nan() => new(double.NaN, full(n, double.NaN, float64, device).MoveToOuterDisposeScope().MoveToOuterDisposeScope(), double.NaN);
        int count = Math.Min(o.Count, (int)n);
        return new LanczosResult
        {
            Top = o.End == SpectrumEnd.Smallest ? [] : Enumerable.Range(0, count).Select(_ => Nan()).ToList(),
            Bottom = o.End == SpectrumEnd.Largest ? [] : Enumerable.Range(0, count).Select(_ => Nan()).ToList(),
            RitzValues = [double.NaN], RitzWeights = [double.NaN], Iterations = matvecs, Converged = false,
        };
    }

    /// <summary>
    /// Thick restart (Krylov–Schur): the basis becomes the Ritz vectors at the wanted end(s), half the basis
    /// in all, and T their values. The residual block R of the last pass stays orthogonal to them and comes
    /// next, so A Q = Q T + R Eᵀ holds again with T explicit (its couplings to R are measured, not assumed),
    /// and the exact-residual test is unchanged. False when too few rows would be left to grow.
    /// </summary>
    private static bool Restart(BasisRows basis, List<double[]> projection, RitzProjection ritz, LanczosOptions o, int block)
    {
        int m = basis.Count, keep = Math.Max(o.Wanted + block, basis.Capacity / 2);
        if (keep + block > basis.Capacity || keep >= m) return false;
        var indices = o.End switch
        {
            SpectrumEnd.Largest => Enumerable.Range(m - keep, keep),
            SpectrumEnd.Smallest => Enumerable.Range(0, keep),
            _ => Enumerable.Range(0, keep / 2).Concat(Enumerable.Range(m - (keep - keep / 2), keep - keep / 2)),
        };
        var kept = indices.ToArray();
        var y = tensor(kept.SelectMany(i => ritz.Vectors.Column(i).ToArray()).ToArray(), float64).view(kept.Length, m);
        var vectors = y.to(basis.Active.device).matmul(basis.Active);           // [keep, N]
        basis.Clear();
        for (int i = 0; i < kept.Length; i++) basis.Add(vectors[i]);
        projection.Clear();
        for (int i = 0; i < kept.Length; i++)
        {
            var column = new double[kept.Length];
            column[i] = ritz.Values[kept[i]];
            projection.Add(column);
        }
        return true;
    }

    /// <summary>Adds the columns (and, by symmetry, rows) of T for the newest vectors.</summary>
    private static void Extend(List<double[]> columns, double[] coefficients, int m, int fresh)
    {
        // coefficients is [m, fresh] row-major: entry (i, j) = q_iᵀ A q_{m−fresh+j}.
        for (int c = 0; c < columns.Count; c++)
        {
            var col = columns[c];
            Array.Resize(ref col, m);
            columns[c] = col;
        }
        int first = m - fresh;
        for (int j = 0; j < fresh; j++)
        {
            var col = new double[m];
            for (int i = 0; i < m; i++) col[i] = coefficients[i * fresh + j];
            columns.Add(col);
        }
        for (int j = 0; j < fresh; j++)
            for (int i = 0; i < first; i++) columns[i][first + j] = columns[first + j][i];
        for (int a = 0; a < fresh; a++)                          // symmetrise inside the new block
            for (int b = a + 1; b < fresh; b++)
            {
                double mean = 0.5 * (columns[first + a][first + b] + columns[first + b][first + a]);
                columns[first + a][first + b] = columns[first + b][first + a] = mean;
            }
    }

    private static List<Tensor> StartBlock(ILinearOperator op, LanczosOptions options, Generator random)
    {
        var rows = new List<Tensor>();
        if (options.WarmStart is { Count: > 0 } warm)
        {
            foreach (var v in warm)
            {
                if (v.numel() != op.Size)
                    throw new ArgumentException($"warm-start vector of length {v.numel()} for an operator of size {op.Size}.");
                var noise = randn([op.Size], float64, generator: random).to(op.Device);
                var unit = v.to(float64).div(v.norm());
                rows.Add(unit.add_(noise, options.WarmNoise / noise.norm().item<double>()));
            }
        }
        else
        {
            for (int i = 0; i < options.BlockSize; i++) rows.Add(randn([op.Size], float64, generator: random).to(op.Device));
        }
        return rows;
    }

    /// <summary>A Ritz value with its index in the projected eigenbasis and its relative residual.</summary>
    private sealed record RitzCandidate(int Index, double Value, double Residual, bool IsTop);

    /// <summary>Eigen-decomposition of the projected matrix T (MathNet.Numerics), ascending.</summary>
    private sealed class RitzProjection
    {
        public required double[] Values { get; init; }
        public required Matrix<double> Vectors { get; init; }
        public double[] FirstComponents => Enumerable.Range(0, Values.Length).Select(i => Vectors[0, i]).ToArray();
        public double SpectralRadius => Math.Max(Math.Abs(Values[0]), Math.Abs(Values[^1]));

        public static RitzProjection Of(List<double[]> columns, int m)
        {
            var t = Matrix<double>.Build.Dense(m, m, (r, c) => columns[c][r]);
            var evd = t.Evd(Symmetricity.Symmetric);
            var values = evd.EigenValues.Select(c => c.Real).ToArray();
            var order = Enumerable.Range(0, m).OrderBy(i => values[i]).ToArray();
            var vectors = Matrix<double>.Build.Dense(m, m, (r, c) => evd.EigenVectors[r, order[c]]);
            return new RitzProjection { Values = order.Select(i => values[i]).ToArray(), Vectors = vectors };
        }

        public Tensor Vector(int index) => tensor(Vectors.Column(index).ToArray(), float64);

        /// <summary>
        /// The wanted Ritz values with exact residuals ‖R y_last‖ / |θ|, R the rows of the last block's images
        /// outside the basis; |θ| is floored at 1e-12 of the spectral scale so that zero eigenvalues converge.
        /// </summary>
        public List<RitzCandidate> Wanted(LanczosOptions o, Tensor outside, double scale)
        {
            int m = Values.Length, last = (int)outside.shape[0];
            RitzCandidate At(int i, bool top)
            {
                var tail = Vectors.Column(i).SubVector(m - last, last).ToArray();
                using var scope = NewDisposeScope();              // one N-vector at a time
                double residual = tensor(tail, float64).to(outside.device).matmul(outside).norm().item<double>();
                return new RitzCandidate(i, Values[i], residual / Math.Max(Math.Abs(Values[i]), 1e-12 * scale), top);
            }
            var list = new List<RitzCandidate>();
            int count = Math.Min(o.Count, m);
            if (o.End != SpectrumEnd.Smallest)
                for (int k = 0; k < count; k++) list.Add(At(m - 1 - k, true));
            if (o.End != SpectrumEnd.Largest)
                for (int k = 0; k < count && (o.End == SpectrumEnd.Smallest || k + count < m); k++) list.Add(At(k, false));
            return list;
        }
    }
}
