using static TorchSharp.torch;

namespace Training.Optimizers;

/// <summary>
/// torch.optim.SGD(lr, momentum=β, nesterov) with no dampening or weight decay: b ← β·b + g (b = g at the first step),
/// then θ ← θ − η·b, or θ ← θ − η·(g + β·b) with Nesterov; β = 0 is plain GD. Thresholds on a quadratic of curvature λ:
/// 2/η for GD, (2 + 2β)/η for heavy ball, (2 + 2β)/(η(1 + 2β)) for Nesterov (Cohen et al. 2021, Appendix; docs/optimizers.md).
/// </summary>
internal sealed class Sgd(double lr, double momentum, bool nesterov) : Optimizer
{
    private List<Tensor>? _buffers;

    public override double Threshold => nesterov ? (2 + 2 * momentum) / (lr * (1 + 2 * momentum)) : (2 + 2 * momentum) / lr;

    public override bool IsGradientDescent => momentum == 0;

    public override int BufferCount => momentum == 0 ? 0 : 1;

    public override void Step(IReadOnlyList<Tensor> parameters)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        if (momentum == 0)
        {
            foreach (var p in parameters) p.add_(p.grad!, -lr);
            return;
        }
        if (_buffers is null)
            _buffers = [.. parameters.Select(p => p.grad!.detach().clone().DetachFromDisposeScope())];
        else
            foreach (var (b, p) in _buffers.Zip(parameters)) b.mul_(momentum).add_(p.grad!);
        foreach (var (b, p) in _buffers.Zip(parameters))
            p.add_(nesterov ? p.grad! + momentum * b : b, -lr);
    }

    public override Dictionary<string, double[][]> Export() => _buffers is null ? [] : new() { ["momentum_buffer"] = Vectors(_buffers) };

    public override void Import(IReadOnlyDictionary<string, double[][]> state, IReadOnlyList<Tensor> parameters)
    {
        foreach (var t in _buffers ?? []) t.Dispose();
        _buffers = momentum != 0 && state.ContainsKey("momentum_buffer") ? Buffers(state, "momentum_buffer", parameters) : null;
    }
}
