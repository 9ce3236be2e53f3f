using TorchSharp;
using static TorchSharp.torch;

namespace Probes.Models;

/// <summary>
/// The generic <see cref="IDifferentiablePoint"/>: any TorchSharp computation θ ↦ f(X; θ), differentiated by
/// reverse-mode autograd alone. TorchSharp has no forward-mode AD, so J w uses the double-VJP trick
/// (Jᵀu is linear in u; differentiating w·Jᵀu with respect to u gives J w), and HVPs use double backward.
/// </summary>
/// <remarks>
/// Trade-off: it works for every architecture but recomputes the forward pass for each product and builds
/// second-order graphs, so it costs several forwards per matvec; <c>MlpPoint</c> is the fast path for MLPs.
/// It is the reference the fast path is tested against. Guarded against TorchSharp's traps:
/// <c>autograd.grad</c> aborts the process on misuse, so shapes and requires-grad are checked first;
/// <c>retain_graph</c> is always explicit; unused inputs come back invalid and are mapped to zeros.
/// </remarks>
public sealed class AutogradPoint : IDifferentiablePoint
{
    private readonly Func<Tensor> _forward;
    private readonly IList<Tensor> _parameters;
    private readonly Tensor _targets;
    private readonly ScalarType _dtype;
    private readonly Tensor _residual;
    private readonly ILoss _loss;
    private readonly Tensor _outputs, _gradient;            // f [n, outputs] and g = ∂ℓ/∂f flattened, both float64

    /// <param name="forward">Computes f(X; θ) from the current <paramref name="parameters"/>, any shape.</param>
    /// <param name="parameters">The leaves θ, each with requires_grad.</param>
    /// <param name="targets">Y, the same shape as f.</param>
    /// <param name="sampleCount">n.</param>
    /// <param name="loss">The loss on the outputs (default the squared loss).</param>
    public AutogradPoint(Func<Tensor> forward, IReadOnlyList<Tensor> parameters, Tensor targets, int sampleCount, ILoss? loss = null)
    {
        if (parameters.Count == 0) throw new ArgumentException("an autograd point needs at least one parameter.");
        foreach (var p in parameters)
            if (!p.requires_grad) throw new ArgumentException("every parameter of an autograd point must require grad.");
        _forward = forward;
        _parameters = parameters.ToList();
        _targets = targets;
        _dtype = parameters[0].dtype;
        SampleCount = sampleCount;
        ParameterSize = parameters.Sum(p => p.numel());
        Device = parameters[0].device;
        using (no_grad())
        {
            var f = forward();
            if (!f.shape.SequenceEqual(targets.shape))
                throw new
                    ArgumentException($"model output shape [{string.Join(",", f.shape)}] differs from targets [{string.Join(",", targets.shape)}].");
            _residual = (f - targets).flatten().to(float64).DetachFromDisposeScope();
            _loss = loss ?? SquaredLoss.Instance;
            _outputs = f.to(float64).view(sampleCount, -1).DetachFromDisposeScope();
            _gradient = (_loss is SquaredLoss ? _residual.alias()        // the squared loss's g is z, bit for bit
                : _loss.OutputGradient(_outputs, targets.to(float64).view(sampleCount, -1)).flatten()).DetachFromDisposeScope();
        }
        OutputSize = _residual.numel();
    }

    public long OutputSize { get; }
    public long ParameterSize { get; }
    public int SampleCount { get; }
    public Device Device { get; }
    public Tensor Residual => _residual;
    public Tensor LossGradient => _gradient;

    public Tensor LossCurvature(Tensor v)
    {
        CheckLength(v, OutputSize, "v");
        return _loss.OutputCurvature(_outputs, v.view(_outputs.shape)).flatten();
    }

    public Tensor JacobianTransposed(Tensor u)
    {
        CheckLength(u, OutputSize, "u");
        var f = _forward();
        var grads = Grad(f, u.to(_dtype).view(f.shape), createGraph: false);
        return Flat(grads);
    }

    public Tensor Jacobian(Tensor w)
    {
        CheckLength(w, ParameterSize, "w");
        var f = _forward();
        var u = zeros_like(f).requires_grad_(true);
        var jtu = Grad(f, u, createGraph: true);
        var s = Dot(jtu, w.to(_dtype));
        var jw = torch.autograd.grad([s], [u], retain_graph: false, create_graph: false, allow_unused: true)[0];
        return (jw.IsInvalid ? zeros_like(u) : jw).flatten().to(float64);
    }

    /// <summary>
    /// K u = J(Jᵀu)/n from one forward pass: Jᵀu and the double-VJP graph of Jᵀv share it, where Jacobian(JacobianTransposed(u))
    /// runs the network twice (on a CIFAR convnet, about 5.4 forward passes against PyTorch's forward mode's 4.5: bench --arch).
    /// </summary>
    public Tensor Ntk(Tensor u)
    {
        CheckLength(u, OutputSize, "u");
        var f = _forward();
        var v = zeros_like(f).requires_grad_(true);
        var jtv = Grad(f, v, createGraph: true);
        var jtu = torch.autograd.grad([f], _parameters, [u.to(_dtype).view(f.shape)], retain_graph: true, create_graph: false, allow_unused: true);
        var s = Dot(jtv, Flat(jtu).to(_dtype));
        var ju = torch.autograd.grad([s], [v], retain_graph: false, create_graph: false, allow_unused: true)[0];
        return (ju.IsInvalid ? zeros_like(v) : ju).flatten().to(float64).div_(SampleCount);
    }

    public Tensor OutputHessian(Tensor u, Tensor w)
    {
        CheckLength(u, OutputSize, "u");
        CheckLength(w, ParameterSize, "w");
        var f = _forward();
        var g = Grad(f, u.to(_dtype).view(f.shape), createGraph: true);
        var s = Dot(g, w.to(_dtype));
        if (!s.requires_grad) return zeros(ParameterSize, float64, Device);   // f linear in θ
        var hv = torch.autograd.grad([s], _parameters, retain_graph: false, create_graph: false, allow_unused: true);
        return Flat(hv);
    }

    /// <summary>
    /// H w by double backward through the loss: one forward pass, a backward that keeps its graph, and a backward through that,
    /// where the interface's (JᵀΛJ w + Q_g w)/n needs J w by the double-VJP trick and an output-Hessian product besides (on a
    /// CIFAR convnet at n = 1,000, 2.5 s a matvec before).
    /// </summary>
    public Tensor LossHessian(Tensor w)
    {
        CheckLength(w, ParameterSize, "w");
        var value = _loss.Mean(_forward().view(SampleCount, -1), _targets.view(SampleCount, -1));
        var g = torch.autograd.grad([value], _parameters, retain_graph: true, create_graph: true, allow_unused: true);
        var s = Dot(g, w.to(_dtype));
        if (!s.requires_grad) return zeros(ParameterSize, float64, Device);      // L quadratic in θ only through constants
        var hv = torch.autograd.grad([s], _parameters, retain_graph: false, create_graph: false, allow_unused: true);
        return Flat(hv);
    }

    /// <summary>∇³L[u, v] by three reverse passes through the loss of the outputs (<see cref="ThirdOrder.ByAutograd"/>).</summary>
    public Tensor LossThirdOrder(Tensor u, Tensor v)
    {
        CheckLength(u, ParameterSize, "u");
        CheckLength(v, ParameterSize, "v");
        return ThirdOrder.ByAutograd(() => _loss.Mean(_forward().view(SampleCount, -1), _targets.view(SampleCount, -1)), [.. _parameters], u, v);
    }

    public Tensor ResidualAt(Tensor delta)
    {
        CheckLength(delta, ParameterSize, "delta");
        using var _ = no_grad();
        var saved = _parameters.Select(p => p.clone()).ToList();
        try
        {
            Offset(delta.to(_dtype));
            return (_forward() - _targets).flatten().to(float64);
        }
        finally
        {
            for (int i = 0; i < _parameters.Count; i++) _parameters[i].copy_(saved[i]);
        }
    }

    private void Offset(Tensor delta)
    {
        long at = 0;
        foreach (var p in _parameters)
        {
            p.add_(delta.narrow(0, at, p.numel()).view(p.shape));
            at += p.numel();
        }
    }

    private IList<Tensor> Grad(Tensor output, Tensor cotangent, bool createGraph)
    {
        var grads = torch.autograd.grad([output], _parameters, [cotangent],
            retain_graph: createGraph, create_graph: createGraph, allow_unused: true);
        return grads;
    }

    private Tensor Flat(IList<Tensor> grads) =>
        cat(grads.Select((g, i) => g.IsInvalid ? zeros(_parameters[i].numel(), _dtype, Device) : g.flatten()).ToList())
            .to(float64);

    private Tensor Dot(IList<Tensor> grads, Tensor w) => ThirdOrder.Dot(grads, w, _parameters);

    private static void CheckLength(Tensor v, long expected, string name)
    {
        if (v.dim() != 1 || v.numel() != expected)
            throw new ArgumentException($"{name} must be a vector of length {expected}, got shape [{string.Join(",", v.shape)}].");
    }

    public void Dispose()
    {
        _residual.Dispose();
        _outputs.Dispose();
        _gradient.Dispose();
    }
}
