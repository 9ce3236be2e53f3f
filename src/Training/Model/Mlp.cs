using Probes.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Training.Model;

/// <summary>
/// The fully connected network of Cohen et al. and Agarwala et al.: inputs → hidden… → outputs, σ between
/// layers, no activation on the output, biases everywhere. Weights come from TorchSharp's nn.Linear
/// (PyTorch's default init, bit-identical under the same manual_seed); they are always drawn in float32
/// and then cast, so float32 and float64 runs start from the same point, as <c>model.double()</c> does.
/// </summary>
internal sealed class Mlp : Network
{
    private readonly ModuleList<Linear> layers = new();

    public Mlp(int inputs, IReadOnlyList<int> hidden, int outputs, Activation activation, long seed, ScalarType dtype, Device device)
        : base("mlp")
    {
        Activation = activation;
        lock (GlobalGeneratorLock)
        {
            manual_seed(seed);
            int width = inputs;
            foreach (int h in hidden.Append(outputs))
            {
                layers.Add(nn.Linear(width, h, hasBias: true, dtype: float32));
                width = h;
            }
        }
        RegisterComponents();
        this.to(dtype).to(device);
    }

    public Activation Activation { get; }

    /// <summary>(weight [out, in], bias [out]) per layer, input side first; the order of parameters().</summary>
    public IReadOnlyList<(Tensor Weight, Tensor Bias)> Layers => layers.Select(l => ((Tensor)l.weight!, (Tensor)l.bias!)).ToList();

    public override IDifferentiablePoint Point(Tensor inputs, Tensor targets, InputSpan? span, ILoss loss) =>
        new MlpPoint(this, inputs, targets, span, loss);

    /// <summary>nn.Sequential(nn.Linear, σ, …, nn.Linear): layer l's weight and bias are "2l.weight", "2l.bias".</summary>
    public override IReadOnlyList<(string Name, Tensor Parameter)> PyTorchParameters =>
        [.. Layers.SelectMany((l, i) => new[] { ($"{2 * i}.weight", l.Weight), ($"{2 * i}.bias", l.Bias) })];

    public override Tensor forward(Tensor x)
    {
        for (int i = 0; i < layers.Count; i++)
        {
            x = layers[i].forward(x);
            if (i + 1 < layers.Count) x = Activation.Apply(x);
        }
        return x;
    }
}
