using Probes.Operators;
using static TorchSharp.torch;

namespace Probes.Tests;

/// <summary>The dense references the eigensolver tests share: symmetric operators with a chosen spectrum.</summary>
public static class DenseOperators
{
    /// <summary>A = Q diag(λ) Qᵀ for a seeded random orthogonal Q: the operator, A itself and Q (eigenvectors as columns).</summary>
    public static (FunctionOperator Op, Tensor Matrix, Tensor Eigenvectors) WithSpectrum(double[] eigenvalues, ulong seed = 11)
    {
        int n = eigenvalues.Length;
        var (q, _) = linalg.qr(randn([n, n], float64, generator: new Generator(seed)));
        var a = q.matmul(diag(tensor(eigenvalues))).matmul(q.t());
        return (new FunctionOperator(n, CPU, v => a.mv(v)), a, q);
    }
}
