using static TorchSharp.torch;

namespace QuadraticFit.Simulation;

/// <summary>
/// The Gram matrix J Jᵀ of a quadratic model and its eigen-decomposition, with one check: a model whose values overflowed
/// float64 (σ's of 1e300, a flow that ran away) has an infinite J Jᵀ, on which LAPACK fails with an opaque error. That
/// case is an <see cref="ArithmeticException"/> that says so, which the program reports as a divergence (exit 3).
/// </summary>
public static class Gram
{
    public static Tensor Of(Tensor j)
    {
        var gram = j.matmul(j.t());
        if (!gram.isfinite().all().item<bool>())
            throw new ArithmeticException(
                "J Jᵀ of the quadratic model is not finite: its values overflowed float64 (choose smaller σ's, η or times)");
        return gram;
    }

    /// <summary>Eigenvalues (ascending) and unit eigenvectors (columns) of J Jᵀ.</summary>
    public static (Tensor Values, Tensor Vectors) Eigen(Tensor j) => linalg.eigh(Of(j));

    /// <summary>Eigenvalues of J Jᵀ, ascending.</summary>
    public static Tensor Values(Tensor j) => linalg.eigvalsh(Of(j));
}
