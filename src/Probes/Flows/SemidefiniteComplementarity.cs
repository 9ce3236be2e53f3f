using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

namespace Probes.Flows;

/// <summary>
/// The k × k semidefinite complementarity problem of a central-flow substep: find X with
/// X ⪰ 0, R = A + B[X] ⪰ 0 and ⟨X, R⟩ = 0, for A symmetric and B a positive semi-definite operator on symmetric matrices
/// (given as the k² × k² matrix acting on vec X). Because B is PSD this is the optimality condition of the convex problem
/// min ½⟨X, B[X]⟩ + ⟨A, X⟩ over X ⪰ 0, solved here by accelerated projected gradient (FISTA with adaptive restart; the
/// projection onto the PSD cone clips the eigenvalues at 0). k is the number of eigenvalues at the edge, a handful, so an
/// iteration costs a k² × k² product and a k × k eigendecomposition: microseconds. k = 1 has the closed form X = max(0, −A/B).
/// </summary>
/// <remarks>
/// Trade-off: a first-order method needs no cone-programming library (the reference code calls CVXOPT through cvxpy), and its
/// accuracy is set by <see cref="Tolerance"/> on the natural residual ‖X − Π(X − R)‖_F, which is zero exactly at a solution;
/// its iterations grow with B's condition number. Where B is singular along a direction A is negative on, no finite X
/// exists (the edge cannot be held): the solver says so instead of returning a number.
/// </remarks>
public static class SemidefiniteComplementarity
{
    /// <summary>The default stopping rule: ‖X − Π(X − R)‖_F ≤ Tolerance·(‖A‖_F + ‖B‖₂‖X‖_F).</summary>
    public const double Tolerance = 1e-12;

    /// <summary>The iteration cap: reached only by a badly conditioned B (then the result is the best X found).</summary>
    public const int MaxIterations = 200_000;

    /// <summary>The solution X and how well it satisfies the conditions.</summary>
    public sealed record Solution(Matrix<double> X, double Residual, int Iterations, bool Converged);

    public static Solution Solve(Matrix<double> a, Matrix<double> b, double tolerance = Tolerance)
    {
        int k = a.RowCount;
        if (a.ColumnCount != k || b.RowCount != k * k || b.ColumnCount != k * k)
            throw new ArgumentException($"A must be k × k and B k² × k²; got {a.RowCount} × {a.ColumnCount} and {b.RowCount} × {b.ColumnCount}.");
        a = (a + a.Transpose()) / 2;
        if (k == 0 || a.Evd(Symmetricity.Symmetric).EigenValues.All(e => e.Real >= 0))
            return new Solution(Matrix<double>.Build.Dense(k, k), 0, 0, true);     // X = 0 already satisfies every condition
        if (k == 1)
        {
            if (!(b[0, 0] > 0)) throw Unbounded();
            return new Solution(Matrix<double>.Build.Dense(1, 1, -a[0, 0] / b[0, 0]), 0, 0, true);
        }
        double lipschitz = b.L2Norm();
        if (!(lipschitz > 0)) throw Unbounded();
        double step = 1 / lipschitz, scale = a.FrobeniusNorm();
        // Where X has full rank R = 0, so X solves the linear system A + B[X] = 0 on symmetric matrices: exact, and the usual case
        // (every critical eigenvalue held at the edge). Otherwise its projection starts the iteration.
        var interior = Face(a, b, Matrix<double>.Build.DenseIdentity(k));
        if (interior is not null && MinEigenvalue(interior) >= 0)
            return new Solution(interior, Residual(a, b, interior), 0, true);
        var x = interior is null ? Matrix<double>.Build.Dense(k, k) : ProjectPsd(interior);
        var y = x;
        double momentum = 1;
        for (int iteration = 1; iteration <= MaxIterations; iteration++)
        {
            var next = ProjectPsd(y - step * Gradient(a, b, y));
            // Gradient-based adaptive restart (O'Donoghue & Candès 2015): drop the momentum when it points uphill. (The
            // objective-based test stalls at a residual of ~√ε, where the objective stops resolving progress.)
            bool uphill = (y - next).PointwiseMultiply(next - x).Enumerate().Sum() > 0;
            double nextMomentum = uphill ? 1 : (1 + Math.Sqrt(1 + 4 * momentum * momentum)) / 2;
            y = uphill ? next : next + (momentum - 1) / nextMomentum * (next - x);
            (x, momentum) = (next, nextMomentum);
            if (iteration % PolishEvery != 0) continue;
            double residual = Residual(a, b, x);
            if (residual <= tolerance * (scale + lipschitz * x.FrobeniusNorm()))
                return new Solution(x, residual, iteration, true);
            // The iterate has found X's range long before it converges: solve on that face exactly, and keep it if it is the solution.
            if (Polish(a, b, x) is { } exact && Residual(a, b, exact) is var polished
                && polished <= tolerance * (scale + lipschitz * exact.FrobeniusNorm()))
                return new Solution(exact, polished, iteration, true);
            if (x.FrobeniusNorm() > 1e12 * (1 + scale / lipschitz)) throw Unbounded();
        }
        return new Solution(x, Residual(a, b, x), MaxIterations, false);
    }

    /// <summary>
    /// The solution on the face of the cone spanned by the columns of V (k × r, orthonormal): X = V Y Vᵀ with Vᵀ(A + B[X])V = 0, a
    /// linear system in the r(r + 1)/2 coordinates of the symmetric Y (basis E_aa = e_a e_aᵀ, E_ab = (e_a e_bᵀ + e_b e_aᵀ)/√2); null
    /// where B is singular on the face. V = I is the interior, where every critical eigenvalue is held.
    /// </summary>
    private static Matrix<double>? Face(Matrix<double> a, Matrix<double> b, Matrix<double> v)
    {
        int k = a.RowCount, r = v.ColumnCount;
        var pairs = (from i in Enumerable.Range(0, r) from j in Enumerable.Range(i, r - i) select (i, j)).ToArray();
        Vector<double> Basis((int I, int J) p)
        {
            var e = Matrix<double>.Build.Dense(r, r);
            double w = p.I == p.J ? 1 : Math.Sqrt(0.5);
            e[p.I, p.J] += w;
            if (p.I != p.J) e[p.J, p.I] += w;
            return Vector<double>.Build.DenseOfArray((v * e * v.Transpose()).ToColumnMajorArray());
        }
        var basis = pairs.Select(Basis).ToArray();
        var vecA = Vector<double>.Build.DenseOfArray(a.ToColumnMajorArray());
        var reduced = Matrix<double>.Build.Dense(pairs.Length, pairs.Length, (row, c) => basis[row].DotProduct(b * basis[c]));
        var rhs = Vector<double>.Build.Dense(pairs.Length, row => -basis[row].DotProduct(vecA));
        if (!(reduced.ConditionNumber() < 1e12)) return null;
        var solution = reduced.LU().Solve(rhs);
        var x = Vector<double>.Build.Dense(k * k);
        for (int row = 0; row < pairs.Length; row++) x += solution[row] * basis[row];
        var m = Matrix<double>.Build.DenseOfColumnMajor(k, k, x.ToArray());
        return (m + m.Transpose()) / 2;
    }

    private static double MinEigenvalue(Matrix<double> m) => m.Evd(Symmetricity.Symmetric).EigenValues.Min(e => e.Real);

    /// <summary>Iterations between the convergence checks and the attempts to solve on the iterate's face.</summary>
    private const int PolishEvery = 25;

    /// <summary>The solution on the face X's eigenvectors of non-negligible eigenvalue span, if it is PSD.</summary>
    private static Matrix<double>? Polish(Matrix<double> a, Matrix<double> b, Matrix<double> x)
    {
        var evd = x.Evd(Symmetricity.Symmetric);
        double largest = evd.EigenValues.Max(e => e.Real);
        var range = Enumerable.Range(0, x.RowCount).Where(i => evd.EigenValues[i].Real > 1e-6 * largest).ToArray();
        if (range.Length == 0) return null;
        var face = Face(a, b, Matrix<double>.Build.DenseOfColumnVectors(range.Select(i => evd.EigenVectors.Column(i))));
        return face is not null && MinEigenvalue(face) >= -1e-14 * largest ? ProjectPsd(face) : null;
    }

    /// <summary>R = A + B[X], symmetrised.</summary>
    public static Matrix<double> Gradient(Matrix<double> a, Matrix<double> b, Matrix<double> x)
    {
        int k = a.RowCount;
        var r = a + Matrix<double>.Build.DenseOfColumnMajor(k, k, (b * Vector<double>.Build.DenseOfArray(x.ToColumnMajorArray())).ToArray());
        return (r + r.Transpose()) / 2;
    }

    /// <summary>The natural residual ‖X − Π(X − R)‖_F: zero exactly when X ⪰ 0, R ⪰ 0 and ⟨X, R⟩ = 0.</summary>
    public static double Residual(Matrix<double> a, Matrix<double> b, Matrix<double> x) =>
        (x - ProjectPsd(x - Gradient(a, b, x))).FrobeniusNorm();

    /// <summary>The nearest PSD matrix in Frobenius norm: negative eigenvalues set to 0.</summary>
    public static Matrix<double> ProjectPsd(Matrix<double> m)
    {
        var evd = ((m + m.Transpose()) / 2).Evd(Symmetricity.Symmetric);
        var values = evd.EigenValues.Select(e => Math.Max(e.Real, 0)).ToArray();
        return evd.EigenVectors * Matrix<double>.Build.DiagonalOfDiagonalArray(values) * evd.EigenVectors.Transpose();
    }

    private static InvalidOperationException Unbounded() =>
        new("the complementarity problem has no solution: B vanishes along a direction where A is negative (∇(uᵢᵀHuⱼ) = 0 there, so no "
            + "oscillation can hold the eigenvalue at the edge).");
}
