using Probes.Models;
using static TorchSharp.torch;

namespace Training.Model;

/// <summary>
/// A network the tool trains and probes: a module from flattened inputs [n, d] to outputs [n, outputs], the point its probes
/// read at the current θ, and its parameters under the names PyTorch's nn.Sequential of the same layers gives them.
/// </summary>
internal abstract class Network(string name) : TorchSharp.torch.nn.Module<Tensor, Tensor>(name)
{
    /// <summary>
    /// Initialisations draw from libtorch's one global generator: seeding and drawing must not interleave with another
    /// thread's network (xunit runs test classes in parallel; so may a sweep host).
    /// </summary>
    protected static readonly Lock GlobalGeneratorLock = new();

    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <summary>
    /// The probes' point at the current θ on <paramref name="inputs"/>. <paramref name="span"/> offers the inputs' span as
    /// coordinates, which a network takes where its first layer sees the inputs only through X W₁ᵀ (the MLP), and ignores otherwise.
    /// </summary>
    public abstract IDifferentiablePoint Point(Tensor inputs, Tensor targets, InputSpan? span, ILoss loss);

    /// <summary>Each parameter, in parameters() order, with its key in the state_dict of PyTorch's nn.Sequential of these layers.</summary>
    public abstract IReadOnlyList<(string Name, Tensor Parameter)> PyTorchParameters { get; }

    /// <summary>Writes θ to <paramref name="path"/> for a checkpoint (TorchSharp's format of the registered modules by default).</summary>
    public virtual void SaveWeights(string path) => save(path);

    /// <summary>Reads θ back from what <see cref="SaveWeights"/> wrote.</summary>
    public virtual void LoadWeights(string path) => load(path);

    /// <summary>Only the MLP's fast point has reduced coordinates; any other point's are the network's own.</summary>
    public static Tensor Coordinates(IDifferentiablePoint point, Tensor full) => point is MlpPoint mlp ? mlp.Coordinates(full) : full;
}
