using static TorchSharp.torch;

namespace Training.Model;

/// <summary>
/// The Gram matrix X Xᵀ (n × n) of the fixed training inputs, for <see cref="MlpPoint"/>'s K·u. Full-batch GD
/// never changes X, so it is computed once per run. Trade-off: each K·u then spends n²·w multiply-adds on
/// the first layer instead of 2·n·d·w (d inputs, w first-layer width), a saving only while n &lt; 2d
/// (n = 5,000, d = 3,072: 19 % of the dominant cost), bought with n² numbers of memory (100 MB in float32 at
/// n = 5,000) and a one-off cost of about n/w forward passes. Outside that range it is not built.
/// </summary>
public static class InputGram
{
    /// <summary>Largest n·n entries built (float64: 8 bytes each); beyond it the memory is not worth it.</summary>
    public const long MaxEntries = 40_000_000;

    /// <summary>X Xᵀ when it makes K·u cheaper and fits the memory bound; otherwise null.</summary>
    public static Tensor? TryCreate(Tensor inputs)
    {
        long n = inputs.shape[0], d = inputs.shape[1];
        if (n >= 2 * d || n * n > MaxEntries) return null;
        using var _ = no_grad();
        return inputs.matmul(inputs.t());
    }
}
