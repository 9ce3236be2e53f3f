using static TorchSharp.torch;

namespace Training.Model;

/// <summary>
/// An orthonormal basis U (d × r) of the span of the n training inputs when n &lt; d, so that the first
/// layer's weights can be probed in r = n coordinates instead of d.
/// </summary>
/// <remarks>
/// The network sees W₁ only through X W₁ᵀ = (X U)(W₁ U)ᵀ, so every derivative along a W₁ direction Δ depends
/// only on Δ U, and every gradient, J ᵀu or Hessian-vector product has its W₁ rows in span(U). The NTK, the
/// loss Hessian, Q₁ and Q_r therefore have the same nonzero spectra (and the same eigenvectors, mapped by
/// Δ ↦ Δ U) in the reduced coordinates; what is left out is the eigenvalue 0 on the width·(d − r) directions
/// orthogonal to the inputs. At n = 500 the probe vectors shrink from 656,810 to 142,410 entries and the
/// first layer's products from 3072 to 500 columns. The trade-off is one QR of Xᵀ per run (float64) and
/// an expansion Δ U ᵀ for displaced forward passes.
/// </remarks>
internal sealed class InputSpan : IDisposable
{
    private InputSpan(Tensor basis, Tensor reducedInputs)
    {
        Basis = basis;
        ReducedInputs = reducedInputs;
    }

    /// <summary>U, d × r, orthonormal columns, in the inputs' dtype.</summary>
    public Tensor Basis { get; }

    /// <summary>X U, n × r: the inputs in the basis' coordinates.</summary>
    public Tensor ReducedInputs { get; }

    /// <summary>The parameter directions the reduced coordinates leave out: width · (d − r).</summary>
    public long DroppedDirections(long width) => width * (Basis.shape[0] - Basis.shape[1]);

    /// <summary>The span of <paramref name="inputs"/> (n × d), or null when n ≥ d and nothing is gained.</summary>
    public static InputSpan? Of(Tensor inputs)
    {
        if (inputs.shape[0] >= inputs.shape[1]) return null;
        using var scope = NewDisposeScope();
        // Reduced QR of Xᵀ in float64: Xᵀ = U R, so X U = Rᵀ exactly; X U is recomputed in the inputs'
        // dtype so the tangents see the same rounding as the network's own first layer.
        var (q, _) = linalg.qr(inputs.to(float64).t());       // reduced mode: U is d × n
        var basis = q.to(inputs.dtype).contiguous();
        var reduced = inputs.matmul(basis);
        return new InputSpan(basis.DetachFromDisposeScope(), reduced.DetachFromDisposeScope());     // owned by the span
    }

    public void Dispose()
    {
        Basis.Dispose();
        ReducedInputs.Dispose();
    }
}
