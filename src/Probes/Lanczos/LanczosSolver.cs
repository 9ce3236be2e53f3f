using MathNet.Numerics.LinearAlgebra;
using Probes.Operators;
using static TorchSharp.torch;

namespace Probes.Lanczos;

/// <summary>
/// Symmetric Lanczos with full reorthogonalisation, for the extreme eigenpairs of a matrix-free operator.
/// </summary>
/// <remarks>
/// Trade-offs: full reorthogonalisation (classical Gram–Schmidt, twice) costs O(N·m) per step and keeps
/// the m Krylov vectors in memory, but it removes ghost eigenvalues and makes every iteration count; at
/// the sizes probed here (m ≲ 100) the matvecs dominate. Accumulation is float64 whatever the model's
/// dtype. A single start vector sees one direction of an exactly repeated eigenvalue until the Krylov
/// space becomes invariant; then the solver restarts with a fresh random vector orthogonal to the basis,
/// which reveals the multiplicity. The small tridiagonal eigenproblem is solved by MathNet.Numerics.
/// </remarks>
public static class LanczosSolver
{
    public static LanczosResult Solve(ILinearOperator op, LanczosOptions options)
    {
        options.Validate(op.Size);
        using var scope = NewDisposeScope();
        long n = op.Size;
        int cap = (int)Math.Min(options.MaxIterations, n);
        var random = new Generator((ulong)options.Seed);
        var basis = zeros(Math.Min(cap, 32), n, float64, op.Device);
        var alphas = new List<double>();
        var betas = new List<double>();     // betas[j] couples basis j and j+1
        var q = StartVector(op, options, random);
        double scale = 0;
        TridiagonalRitz? ritz = null;
        bool converged = false;
        double beta = 0;
        int j = 0;
        for (; j < cap; j++)
        {
            if (j >= basis.shape[0])
                basis = cat([basis, zeros(Math.Min(basis.shape[0], cap - basis.shape[0]), n, float64, op.Device)]);
            basis[j].copy_(q);
            var w = op.Apply(q);
            double alpha = w.dot(q).item<double>();
            alphas.Add(alpha);
            w.add_(q, -alpha);
            if (j > 0) w.add_(basis[j - 1], -betas[j - 1]);
            var active = basis.narrow(0, 0, j + 1);
            for (int pass = 0; pass < 2; pass++)
                w.sub_(active.t().mv(active.mv(w)));
            beta = w.norm().item<double>();
            ritz = TridiagonalRitz.Of(alphas, betas);
            scale = Math.Max(scale, ritz.SpectralRadius);
            if (ritz.Wanted(options, beta, scale).All(r => r.Residual <= options.Tolerance) && j + 1 >= Needed(options))
            {
                converged = true;
                j++;
                break;
            }
            if (j + 1 == cap) { j++; break; }
            if (beta <= 1e-12 * Math.Max(scale, double.Epsilon))
            {
                // Invariant Krylov space: continue in its orthogonal complement.
                q = RandomOrthogonal(active, n, op.Device, random);
                betas.Add(0);
            }
            else
            {
                q = w.div(beta);
                betas.Add(beta);
            }
        }

        var krylov = basis.narrow(0, 0, j);
        var wanted = ritz!.Wanted(options, beta, scale);
        RitzPair Pair(RitzCandidate c) =>
            new(c.Value, krylov.t().mv(ritz.Vector(c.Index).to(op.Device)).MoveToOuterDisposeScope(), c.Residual);
        return new LanczosResult
        {
            Top = wanted.Where(c => c.IsTop).Select(Pair).ToList(),
            Bottom = wanted.Where(c => !c.IsTop).Select(Pair).ToList(),
            RitzValues = ritz.Values,
            RitzWeights = ritz.FirstComponents,
            Iterations = j,
            Converged = converged,
        };
    }

    private static int Needed(LanczosOptions o) => o.End == SpectrumEnd.Both ? 2 * o.Count : o.Count;

    private static Tensor StartVector(ILinearOperator op, LanczosOptions options, Generator random)
    {
        var noise = randn([op.Size], float64, generator: random).to(op.Device);
        if (options.WarmStart is not { Count: > 0 } warm)
            return noise.div_(noise.norm());
        var sum = zeros(op.Size, float64, op.Device);
        foreach (var v in warm)
        {
            if (v.numel() != op.Size)
                throw new ArgumentException($"warm-start vector of length {v.numel()} for an operator of size {op.Size}.");
            sum.add_(v.to(float64).div(v.norm()));
        }
        sum.add_(noise, options.WarmNoise * sum.norm().item<double>() / noise.norm().item<double>());
        return sum.div_(sum.norm());
    }

    private static Tensor RandomOrthogonal(Tensor active, long n, Device device, Generator random)
    {
        var v = randn([n], float64, generator: random).to(device);
        for (int pass = 0; pass < 2; pass++)
            v.sub_(active.t().mv(active.mv(v)));
        return v.div_(v.norm());
    }

    /// <summary>A Ritz value with its index in the tridiagonal eigenbasis and its relative residual.</summary>
    private sealed record RitzCandidate(int Index, double Value, double Residual, bool IsTop);

    /// <summary>Eigen-decomposition of the Lanczos tridiagonal matrix T (MathNet.Numerics).</summary>
    private sealed class TridiagonalRitz
    {
        public required double[] Values { get; init; }          // ascending
        public required Matrix<double> Vectors { get; init; }
        public double[] FirstComponents => Enumerable.Range(0, Values.Length).Select(i => Vectors[0, i]).ToArray();
        public double SpectralRadius => Values.Length == 0 ? 0 : Math.Max(Math.Abs(Values[0]), Math.Abs(Values[^1]));

        public static TridiagonalRitz Of(List<double> alphas, List<double> betas)
        {
            int m = alphas.Count;
            var t = Matrix<double>.Build.Dense(m, m);
            for (int i = 0; i < m; i++)
            {
                t[i, i] = alphas[i];
                if (i + 1 < m) t[i, i + 1] = t[i + 1, i] = betas[i];
            }
            var evd = t.Evd(MathNet.Numerics.LinearAlgebra.Symmetricity.Symmetric);
            var values = evd.EigenValues.Select(c => c.Real).ToArray();
            var order = Enumerable.Range(0, m).OrderBy(i => values[i]).ToArray();
            var vectors = Matrix<double>.Build.Dense(m, m, (r, c) => evd.EigenVectors[r, order[c]]);
            return new TridiagonalRitz { Values = order.Select(i => values[i]).ToArray(), Vectors = vectors };
        }

        public Tensor Vector(int index) => tensor(Vectors.Column(index).ToArray(), float64);

        /// <summary>
        /// The wanted Ritz values with residual estimates β·|s_last| / |θ| (exact for Lanczos with full
        /// reorthogonalisation); |θ| is floored at 1e-12 of the spectral scale so that zero eigenvalues converge.
        /// </summary>
        public List<RitzCandidate> Wanted(LanczosOptions o, double beta, double scale)
        {
            int m = Values.Length;
            var list = new List<RitzCandidate>();
            RitzCandidate At(int i, bool top)
            {
                double denominator = Math.Max(Math.Abs(Values[i]), 1e-12 * scale);
                double residual = Math.Abs(beta * Vectors[m - 1, i]) / denominator;
                return new RitzCandidate(i, Values[i], residual, top);
            }
            int count = Math.Min(o.Count, m);
            if (o.End != SpectrumEnd.Smallest)
                for (int k = 0; k < count; k++) list.Add(At(m - 1 - k, true));
            if (o.End != SpectrumEnd.Largest)
                for (int k = 0; k < count && (o.End == SpectrumEnd.Smallest || k + count < m); k++) list.Add(At(k, false));
            return list;
        }
    }
}
