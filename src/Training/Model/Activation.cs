using static TorchSharp.torch;

namespace Training.Model;

/// <summary>The hidden-layer nonlinearity σ, with the derivatives the fast tangent propagation needs.</summary>
internal enum Activation { Tanh, Relu, Elu, Identity }

internal static class ActivationFunctions
{
    public static Activation Parse(string name) => name.ToLowerInvariant() switch
    {
        "tanh" => Activation.Tanh,
        "relu" => Activation.Relu,
        "elu" => Activation.Elu,
        "identity" or "linear" => Activation.Identity,
        _ => throw new ArgumentException($"unknown activation '{name}' (expected tanh, relu, elu or identity)."),
    };

    public static string Name(this Activation a) => a.ToString().ToLowerInvariant();

    public static Tensor Apply(this Activation a, Tensor x) => a switch
    {
        Activation.Tanh => x.tanh(),
        Activation.Relu => nn.functional.relu(x),
        Activation.Elu => nn.functional.elu(x, 1.0),        // α = 1, PyTorch's nn.ELU()
        _ => x,
    };

    /// <summary>σ'(a) and σ''(a) at the pre-activations a.</summary>
    public static (Tensor First, Tensor Second) Derivatives(this Activation a, Tensor pre)
    {
        switch (a)
        {
            case Activation.Tanh:
                var t = pre.tanh();
                var first = 1 - t * t;
                return (first, -2 * t * first);
            case Activation.Relu:
                return ((pre > 0).to(pre.dtype), zeros_like(pre));
            case Activation.Elu:
                // x for x > 0, eˣ − 1 below: σ' = 1 or eˣ, σ'' = 0 or eˣ.
                var below = (pre <= 0).to(pre.dtype);
                var exp = pre.clamp_max(0).exp() * below;        // not in place: the third-order pass differentiates it
                return (exp + (1 - below), exp);
            default:
                return (ones_like(pre), zeros_like(pre));
        }
    }
}
