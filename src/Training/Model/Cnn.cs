using Probes.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Training.Model;

/// <summary>
/// The convolutional network of Cohen et al. (2021), as locuslab/edge-of-stability's convnet builds it for cnn-relu, cnn-tanh and
/// cnn-elu: [Conv2d(c, width, 3, padding 1) → σ → MaxPool2d(2)] × depth, then Flatten and Linear(width·(s/2^depth)², outputs).
/// The inputs arrive flattened, [n, c·s·s] in CIFAR's channel-major order, and are viewed as images [n, c, s, s].
/// </summary>
/// <remarks>
/// Weights come from TorchSharp's Conv2d and Linear, drawn in construction order under manual_seed in float32 and then cast: PyTorch's
/// default init, bit for bit, as for the MLP. The probes differentiate it by autograd (<see cref="AutogradPoint"/>): every probe kind
/// and column works, at several forward passes a product, where the MLP's analytic tangents cost about two. A max-pool and σ = relu
/// are piecewise linear, so with cnn-relu Q₁ and Q_r are 0 almost everywhere and H is its Gauss–Newton part.
/// </remarks>
internal sealed class Cnn : Network
{
    private readonly ModuleList<Conv2d> convolutions = new();
    private readonly Linear head;
    private readonly int _channels, _size;

    public Cnn(int channels, int size, int width, int depth, int outputs, Activation activation, long seed, ScalarType dtype, Device device)
        : base("cnn")
    {
        if (size >> depth < 1) throw new ArgumentException($"{depth} max-pools leave nothing of a {size} × {size} image.");
        (_channels, _size, Activation) = (channels, size, activation);
        lock (GlobalGeneratorLock)
        {
            manual_seed(seed);
            for (int l = 0; l < depth; l++)
                convolutions.Add(nn.Conv2d(l == 0 ? channels : width, width, 3, padding: 1, bias: true, dtype: float32));
            int side = size >> depth;
            head = nn.Linear(width * side * side, outputs, hasBias: true, dtype: float32);
        }
        RegisterComponents();
        this.to(dtype).to(device);
    }

    public Activation Activation { get; }

    public override Tensor forward(Tensor x)
    {
        x = x.view(-1, _channels, _size, _size);
        foreach (var convolution in convolutions)
            x = nn.functional.max_pool2d(Activation.Apply(convolution.forward(x)), 2);
        return head.forward(x.flatten(1));
    }

    public override IDifferentiablePoint Point(Tensor inputs, Tensor targets, InputSpan? span, ILoss loss) =>
        new AutogradPoint(() => forward(inputs), [.. parameters()], targets, (int)inputs.shape[0], loss);

    /// <summary>nn.Sequential(Conv2d, σ, MaxPool2d, …, Flatten, Linear): block l's convolution at 3l, the linear layer at 3·depth + 1.</summary>
    public override IReadOnlyList<(string Name, Tensor Parameter)> PyTorchParameters =>
    [
        .. convolutions.SelectMany((c, l) => new[] { ($"{3 * l}.weight", (Tensor)c.weight!), ($"{3 * l}.bias", (Tensor)c.bias!) }),
        ($"{3 * convolutions.Count + 1}.weight", (Tensor)head.weight!), ($"{3 * convolutions.Count + 1}.bias", (Tensor)head.bias!),
    ];
}
