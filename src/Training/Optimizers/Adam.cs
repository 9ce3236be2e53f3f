using static TorchSharp.torch;

namespace Training.Optimizers;

/// <summary>
/// torch.optim.Adam(lr, betas=(β₁, β₂), eps=ε), no weight decay, not amsgrad: at step t = 1, 2, …
/// m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², θ ← θ − (η/(1 − β₁ᵗ))·m/(√v/√(1 − β₂ᵗ) + ε), exactly PyTorch's order of
/// operations. Its preconditioner is P = diag(√v̂ + ε) with v̂ = v/(1 − β₂ᵗ); the threshold of λ₁(P⁻¹H) is
/// (2 + 2β₁)/(η(1 − β₁)), 38/η at β₁ = 0.9 (Cohen et al. 2022).
/// </summary>
internal sealed class Adam(double lr, double beta1, double beta2, double eps) : Optimizer
{
    /// <summary>PyTorch's default second-moment decay.</summary>
    public const double DefaultBeta2 = 0.999;

    private List<Tensor>? _first, _second;
    private long _step;

    public override double Threshold => (2 + 2 * beta1) / (lr * (1 - beta1));

    public override int BufferCount => 2;

    public override bool Preconditioned => true;

    public override void Step(IReadOnlyList<Tensor> parameters)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        _first ??= [.. parameters.Select(p => zeros_like(p).DetachFromDisposeScope())];
        _second ??= [.. parameters.Select(p => zeros_like(p).DetachFromDisposeScope())];
        _step++;
        double correction1 = 1 - Math.Pow(beta1, _step), correction2 = 1 - Math.Pow(beta2, _step);
        for (int i = 0; i < parameters.Count; i++)
        {
            var (p, m, v) = (parameters[i], _first[i], _second[i]);
            m.lerp_(p.grad!, 1 - beta1);
            v.mul_(beta2).addcmul_(p.grad!, p.grad!, 1 - beta2);
            var denominator = (v.sqrt() / Math.Sqrt(correction2)).add_(eps);
            p.addcdiv_(m, denominator, -lr / correction1);
        }
    }

    /// <summary>
    /// P = √v̂ + ε with v̂ = v/(1 − β₂ᵗ) the bias-corrected second moment after this step's gradient has been added (t the
    /// step about to be taken): the one the step divides by.
    /// </summary>
    public override Tensor? Preconditioner(IReadOnlyList<Tensor> parameters)
    {
        using var _ = no_grad();
        double correction2 = 1 - Math.Pow(beta2, _step + 1);
        var next = parameters.Select((p, i) => (_second?[i] ?? zeros_like(p)) * beta2 + p.grad! * p.grad! * (1 - beta2));
        return Flat(next).div_(correction2).sqrt_().add_(eps);
    }

    public override Dictionary<string, double[][]> Export() => _first is null ? [] : new()
    {
        ["exp_avg"] = Vectors(_first), ["exp_avg_sq"] = Vectors(_second!), ["step"] = [[_step]],
    };

    public override void Import(IReadOnlyDictionary<string, double[][]> state, IReadOnlyList<Tensor> parameters)
    {
        foreach (var buffer in (_first ?? []).Concat(_second ?? [])) buffer.Dispose();
        (_first, _second, _step) = (null, null, 0);           // no state: before the first step
        if (!state.ContainsKey("exp_avg")) return;
        (_first, _second) = (Buffers(state, "exp_avg", parameters), Buffers(state, "exp_avg_sq", parameters));
        _step = state.TryGetValue("step", out var s) && s is [[var t]] ? (long)t : throw new ProbesError("the optimizer state has no step count.");
    }
}
