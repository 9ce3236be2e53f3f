using static TorchSharp.torch;

namespace Training.Optimizers;

/// <summary>
/// torch.optim.RMSprop(lr, alpha=α, eps=ε), not centered, no momentum: v ← α·v + (1 − α)·g² (v = 0 before the first step),
/// θ ← θ − η·g/(√v + ε). Its preconditioner is P = diag(√v + ε); the threshold of λ₁(P⁻¹H) is 2/η, GD's (Cohen et al. 2022).
/// </summary>
internal sealed class RmsProp(double lr, double alpha, double eps) : Optimizer
{
    /// <summary>PyTorch's default smoothing constant (--beta2 sets it).</summary>
    public const double DefaultAlpha = 0.99;

    private List<Tensor>? _squares;

    public override double Threshold => 2 / lr;

    public override int BufferCount => 1;

    public override bool Preconditioned => true;

    public override void Step(IReadOnlyList<Tensor> parameters)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        _squares ??= [.. parameters.Select(p => zeros_like(p).DetachFromDisposeScope())];
        foreach (var (v, p) in _squares.Zip(parameters))
        {
            v.mul_(alpha).addcmul_(p.grad!, p.grad!, 1 - alpha);
            p.addcdiv_(p.grad!, v.sqrt().add_(eps), -lr);
        }
    }

    /// <summary>P = √v + ε with v the average after this step's gradient has been added: the one the step divides by.</summary>
    public override Tensor? Preconditioner(IReadOnlyList<Tensor> parameters)
    {
        using var _ = no_grad();
        var next = parameters.Select((p, i) => (_squares?[i] ?? zeros_like(p)) * alpha + p.grad! * p.grad! * (1 - alpha));
        return Flat(next).sqrt_().add_(eps);
    }

    public override Dictionary<string, double[][]> Export() => _squares is null ? [] : new() { ["square_avg"] = Vectors(_squares) };

    public override void Import(IReadOnlyDictionary<string, double[][]> state, IReadOnlyList<Tensor> parameters)
    {
        foreach (var t in _squares ?? []) t.Dispose();
        _squares = state.ContainsKey("square_avg") ? Buffers(state, "square_avg", parameters) : null;
    }
}
