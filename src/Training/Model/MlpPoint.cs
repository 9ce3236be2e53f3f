using Probes.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Training.Model;

/// <summary>
/// The fast <see cref="IDifferentiablePoint"/> of an <see cref="Mlp"/>: it keeps the forward pass at θ
/// (activations h_l, σ'(a_l), σ''(a_l)) for all products at that θ and propagates tangents analytically,
/// first order for J w and Jᵀu, second order (forward over reverse) for Hessian-vector products.
/// </summary>
/// <remarks>
/// Cost: the first layer (3072 → width) dominates; each product does two matmuls of that size, so K·u, H·w
/// and Q·w each cost about two forward passes, against four or more for <see cref="AutogradPoint"/>.
/// Everything runs in the network's dtype; vectors cross the boundary in float64.
/// Notation: layer l maps h_l to a_l = h_l W_lᵀ + b_l, h_{l+1} = σ(a_l), f = a_{L−1}; δ_l = ∂(u·f)/∂a_l.
/// With an <see cref="InputSpan"/>, W₁'s directions are taken in the span of the inputs (width × r instead
/// of width × d): the forward pass at θ stays the network's own, the tangents enter the first layer as X U.
/// </remarks>
internal sealed class MlpPoint : IDifferentiablePoint
{
    private readonly Activation _activation;
    private readonly ScalarType _dtype;
    private readonly List<Tensor> _weights = new(), _biases = new();
    private readonly List<Tensor> _inputs = new();          // h_l, l = 0..L−1 (h_0 = X)
    private readonly List<Tensor> _slope = new(), _curvature = new();   // σ'(a_l), σ''(a_l), l < L−1
    private readonly Tensor _targets;
    private readonly Tensor _residualNative;                // z in the network's dtype, [n, outputs]
    private readonly ILoss _loss;
    private readonly Tensor _outputsNative, _gradientNative;  // f and g = ∂ℓ/∂f in the network's dtype, [n, outputs]
    private readonly Tensor _tangentInputs;                 // what first-layer tangents multiply: X, or X U
    private readonly Tensor? _basis;                        // U, when W₁ is taken in the inputs' span
    private readonly long[][] _weightShapes;                // of the directions: W₁'s is width × r when reduced
    private readonly List<Tensor> _owned = new();

    public MlpPoint(Mlp network, Tensor inputs, Tensor targets, InputSpan? span = null, ILoss? loss = null)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        _activation = network.Activation;
        _dtype = inputs.dtype;
        foreach (var (w, b) in network.Layers)
        {
            _weights.Add(w.detach().clone());
            _biases.Add(b.detach().clone());
        }
        Tensor h = inputs;
        for (int l = 0; l < _weights.Count; l++)
        {
            _inputs.Add(h);
            var a = h.matmul(_weights[l].t()).add_(_biases[l]);
            if (l + 1 == _weights.Count) { h = a; break; }
            var (first, second) = _activation.Derivatives(a);
            _slope.Add(first);
            _curvature.Add(second);
            h = _activation.Apply(a);
        }
        _targets = targets;
        _tangentInputs = span?.ReducedInputs ?? inputs;
        _basis = span?.Basis;
        _weightShapes = _weights.Select((w, l) => l == 0 && span is not null ? [w.shape[0], span.Basis.shape[1]] : w.shape).ToArray();
        DroppedDirections = span?.DroppedDirections(_weights[0].shape[0]) ?? 0;
        _residualNative = h - targets;
        Residual = _residualNative.flatten().to(float64);
        _loss = loss ?? SquaredLoss.Instance;
        _outputsNative = h;
        _gradientNative = _loss is SquaredLoss ? _residualNative.alias() : _loss.OutputGradient(h, targets);
        LossGradient = _loss is SquaredLoss ? Residual.alias() : _gradientNative.flatten().to(float64);
        SampleCount = (int)inputs.shape[0];
        OutputSize = Residual.numel();
        ParameterSize = _weightShapes.Sum(s => s[0] * s[1]) + _biases.Sum(b => b.numel());
        Device = inputs.device;
        _owned.AddRange(_weights.Concat(_biases).Concat(_inputs.Skip(1)).Concat(_slope).Concat(_curvature)
            .Append(_residualNative).Append(Residual).Append(_outputsNative).Append(_gradientNative).Append(LossGradient));
        foreach (var t in _owned) t.DetachFromDisposeScope();   // X and Y stay the caller's
    }

    public long OutputSize { get; }
    public long ParameterSize { get; }
    public int SampleCount { get; }
    public Device Device { get; }
    public Tensor Residual { get; }
    public Tensor LossGradient { get; }

    public Tensor LossCurvature(Tensor v) => _loss.OutputCurvature(_outputsNative, Native(v, OutputSize)).flatten().to(float64);
    public long DroppedDirections { get; }
    private int Depth => _weights.Count;

    public Tensor JacobianTransposed(Tensor u) => Flatten(Backward(Native(u, OutputSize)));

    public Tensor Jacobian(Tensor w)
    {
        var (dW, db) = Split(Native(w, ParameterSize));
        return ForwardTangents(dW, db).Pre[^1].flatten().to(float64);
    }

    /// <summary>K u = J (Jᵀ u) / n: backward, then forward tangents along the gradient.</summary>
    public Tensor Ntk(Tensor u)
    {
        var grads = Backward(Native(u, OutputSize));
        var dW = grads.Where((_, i) => i % 2 == 0).ToList();
        var db = grads.Where((_, i) => i % 2 == 1).ToList();
        return ForwardTangents(dW, db).Pre[^1].flatten().to(float64).div_(SampleCount);
    }

    public Tensor OutputHessian(Tensor u, Tensor w)
    {
        var (dW, db) = Split(Native(w, ParameterSize));
        return Flatten(SecondOrderBackward(Native(u, OutputSize), dW, db, gaussNewton: false));
    }

    /// <summary>
    /// H w in one pass: the Gauss–Newton part JᵀΛ(J w) and Q_g w share the backward recursion, the former
    /// entering as the initial tangent cotangent Λ J w (J w for the squared loss, whose g is z).
    /// </summary>
    public Tensor LossHessian(Tensor w)
    {
        var (dW, db) = Split(Native(w, ParameterSize));
        return Flatten(SecondOrderBackward(_gradientNative, dW, db, gaussNewton: true)).div_(SampleCount);
    }

    /// <summary>
    /// ∇³L[u, v] = ∇_θ(uᵀH v) by one reverse pass through this point's own tangent recursion, run on leaves δ = 0 (θ + δ, in
    /// this point's coordinates: W₁'s in the inputs' span when reduced): n·uᵀHv = (Ju)ᵀΛ(f)(Jv) + g(f)·Q(u, v), with J u, J v
    /// and Q(u, v) propagated forward as in <see cref="SecondDirectional"/> and Λ, g the loss's, all as differentiable
    /// tensor operations. The first layer, which dominates, takes three products of the inputs' size (the pre-activation and
    /// the two tangents) and one in the reverse pass, about two training steps; three reverse passes through the loss by
    /// autograd (<see cref="ThirdOrder.ByAutograd"/>, the generic point's way) took about four.
    /// </summary>
    public Tensor LossThirdOrder(Tensor u, Tensor v)
    {
        var (dWu, dbu) = Split(Native(u, ParameterSize));
        bool same = ReferenceEquals(u, v);
        var (dWv, dbv) = same ? (dWu, dbu) : Split(Native(v, ParameterSize));
        var leaves = new List<Tensor>();
        for (int l = 0; l < Depth; l++)
        {
            leaves.Add(zeros(_weightShapes[l], _dtype, Device).requires_grad_(true));
            leaves.Add(zeros_like(_biases[l]).requires_grad_(true));
        }
        Tensor h = _inputs[0];
        Tensor? hu = null, hv = null, hh = null;              // ḣ along u and v, ḧ along (u, v); zero at the inputs
        Tensor a = null!, au = null!, av = null!, aa = null!;
        for (int l = 0; l < Depth; l++)
        {
            var input = l == 0 ? TangentInput(0) : h;          // what a direction of W_l multiplies: h_l (θ's), or X (U) at the first layer
            var weight = l == 0 && _basis is not null ? _weights[0] : _weights[l] + leaves[2 * l];
            a = h.matmul(weight.t()).add(_biases[l] + leaves[2 * l + 1]);
            if (l == 0 && _basis is not null) a = a.add(input.matmul(leaves[0].t()));
            Tensor Tangent(Tensor? hdot, Tensor dW, Tensor db)
            {
                var t = input.matmul(dW.t()).add(db);
                return hdot is null ? t : t.add(hdot.matmul((_weights[l] + leaves[2 * l]).t()));
            }
            au = Tangent(hu, dWu[l], dbu[l]);
            av = same ? au : Tangent(hv, dWv[l], dbv[l]);
            // ä = ḧ Wᵀ + ḣᵘ dWᵛᵀ + ḣᵛ dWᵘᵀ (ḣ = 0 at the first layer, where ä = 0).
            aa = hh is null ? zeros_like(au) : hh.matmul((_weights[l] + leaves[2 * l]).t());
            if (hu is not null) aa = aa.add(hu.matmul(dWv[l].t())).add(hv!.matmul(dWu[l].t()));
            if (l + 1 == Depth) break;
            var (slope, curvature) = _activation.Derivatives(a);
            hh = curvature * au * av + slope * aa;
            hu = slope * au;
            hv = same ? hu : slope * av;
            h = _activation.Apply(a);
        }
        var form = (au * _loss.OutputCurvature(a, av)).sum().add(_loss.OutputGradient(a, _targets).mul(aa).sum()).div(SampleCount);
        var grads = torch.autograd.grad([form], leaves, retain_graph: false, create_graph: false, allow_unused: true);
        return Flatten(grads.Select((g, i) => g.IsInvalid ? zeros_like(leaves[i]) : g));
    }

    /// <summary>The loss at this θ, (1/n) Σ ℓᵢ, in the network's dtype as training computes it.</summary>
    public double Loss => _loss.Mean(_outputsNative, _targets).ToDouble();

    /// <summary>
    /// θ ← θ + δ on <paramref name="network"/> (the network this point was made from), δ in this point's coordinates: W₁'s rows
    /// in the inputs' span are expanded back to width × d. Moves the network, not the point, which is stale afterwards.
    /// </summary>
    public void Displace(Mlp network, Tensor delta)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (dW, db) = Split(Native(delta, ParameterSize));
        if (_basis is not null) dW[0] = dW[0].matmul(_basis.t());
        int l = 0;
        foreach (var (w, b) in network.Layers)
        {
            w.add_(dW[l]);
            b.add_(db[l]);
            l++;
        }
    }

    /// <summary>
    /// A displacement of the network's own parameters (flattened in parameter order, W₁ width × d) in this point's coordinates:
    /// W₁'s part projected on the inputs' span (Δ ↦ Δ U) when reduced, which keeps all of it for a step made of gradients (their
    /// W₁ rows lie in the span) and drops only what the network cannot see. The inverse of <see cref="Displace"/>'s expansion.
    /// </summary>
    public Tensor Coordinates(Tensor full)
    {
        if (_basis is null) return full.to(float64);
        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        long at = 0;
        for (int l = 0; l < Depth; l++)
        {
            long size = _weights[l].numel();
            var dW = full.narrow(0, at, size).view(_weights[l].shape);
            parts.Add(l == 0 ? dW.matmul(_basis.to(float64)) : dW);
            at += size;
            parts.Add(full.narrow(0, at, _biases[l].numel()));
            at += _biases[l].numel();
        }
        if (at != full.numel()) throw new ArgumentException($"expected {at} parameters, got {full.numel()}.");
        return Flatten(parts).MoveToOuterDisposeScope();
    }

    public Tensor ResidualAt(Tensor delta)
    {
        var (dW, db) = Split(Native(delta, ParameterSize));
        if (_basis is not null) dW[0] = dW[0].matmul(_basis.t());          // back to width × d
        Tensor h = _inputs[0];
        for (int l = 0; l < Depth; l++)
        {
            var a = h.matmul((_weights[l] + dW[l]).t()).add_(_biases[l] + db[l]);
            h = l + 1 == Depth ? a : _activation.Apply(a);
        }
        return (h - _targets).flatten().to(float64);
    }

    /// <summary>
    /// Q(a, b) = Σ-free second directional derivative of f along a and b, by second-order forward tangents:
    /// ä_l = ḧ_l W_lᵀ + ḣ_l^a dW_l^bᵀ + ḣ_l^b dW_l^aᵀ and ḧ_{l+1} = σ''(a_l) ȧ_l^a ȧ_l^b + σ'(a_l) ä_l.
    /// </summary>
    public Tensor SecondDirectional(Tensor a, Tensor b)
    {
        var (dWa, dba) = Split(Native(a, ParameterSize));
        var (preA, inA) = ForwardTangents(dWa, dba);
        bool same = ReferenceEquals(a, b);                    // Q(w, w): one tangent pass serves both
        var (dWb, dbb) = same ? (dWa, dba) : Split(Native(b, ParameterSize));
        var (preB, inB) = same ? (preA, inA) : ForwardTangents(dWb, dbb);
        Tensor? second = null;                                // ḧ_0 = 0
        Tensor result = null!;
        for (int l = 0; l < Depth; l++)
        {
            Tensor? pre = second?.matmul(_weights[l].t());
            if (inA[l] is { } ha) pre = pre is null ? ha.matmul(dWb[l].t()) : pre.add_(ha.matmul(dWb[l].t()));
            if (inB[l] is { } hb) pre = pre is null ? hb.matmul(dWa[l].t()) : pre.add_(hb.matmul(dWa[l].t()));
            pre ??= zeros_like(preA[l]);
            if (l + 1 == Depth) { result = pre; break; }
            second = _curvature[l] * preA[l] * preB[l] + _slope[l] * pre;
        }
        return result.flatten().to(float64);
    }

    /// <summary>
    /// u·Q(w, w) by second-order forward tangents: one first-layer product (X dW₁ᵀ; ḣ₀ = 0 leaves the second
    /// order none there), where the output-Hessian product costs two.
    /// </summary>
    public double OutputHessianForm(Tensor u, Tensor w)
    {
        using var scope = NewDisposeScope();
        return SecondDirectional(w, w).dot(u.to(float64)).item<double>();
    }

    /// <summary>Tangents ȧ_l of the pre-activations and ḣ_l of the layer inputs along (dW, db).</summary>
    private (List<Tensor> Pre, List<Tensor?> In) ForwardTangents(IReadOnlyList<Tensor> dW, IReadOnlyList<Tensor> db)
    {
        var pre = new List<Tensor>();
        var input = new List<Tensor?> { null };              // ḣ_0 = 0: the data do not move
        for (int l = 0; l < Depth; l++)
        {
            var a = TangentInput(l).matmul(dW[l].t()).add_(db[l]);
            if (input[l] is { } hdot) a.add_(hdot.matmul(_weights[l].t()));
            pre.Add(a);
            if (l + 1 < Depth) input.Add(_slope[l] * a);
        }
        return (pre, input);
    }

    /// <summary>∂(u·f)/∂θ by backpropagation of the cotangent U = u as [n, outputs]: (gW_l, gb_l) pairs.</summary>
    private List<Tensor> Backward(Tensor cotangent)
    {
        var grads = new Tensor[2 * Depth];
        var delta = cotangent;
        for (int l = Depth - 1; l >= 0; l--)
        {
            grads[2 * l] = delta.t().matmul(TangentInput(l));
            grads[2 * l + 1] = delta.sum(dim: 0);
            if (l > 0) delta = delta.matmul(_weights[l]).mul_(_slope[l - 1]);
        }
        return grads.ToList();
    }

    /// <summary>
    /// The directional derivative along (dW, db) of the backward pass of U: (Σ_α U_α ∇²f_α) w. With
    /// <paramref name="gaussNewton"/>, Λ J w is added as the initial cotangent tangent, giving Jᵀ Λ J w + Q_U w.
    /// </summary>
    private List<Tensor> SecondOrderBackward(Tensor cotangent, IReadOnlyList<Tensor> dW, IReadOnlyList<Tensor> db, bool gaussNewton)
    {
        var (pre, input) = ForwardTangents(dW, db);
        var grads = new Tensor[2 * Depth];
        var delta = cotangent;
        Tensor? deltaDot = gaussNewton ? _loss.OutputCurvature(_outputsNative, pre[^1]) : null;
        for (int l = Depth - 1; l >= 0; l--)
        {
            Tensor? gW = deltaDot?.t().matmul(TangentInput(l));
            if (input[l] is { } hdot)
            {
                var term = delta.t().matmul(hdot);
                gW = gW is null ? term : gW.add_(term);
            }
            grads[2 * l] = gW ?? zeros(_weightShapes[l], _dtype, Device);
            grads[2 * l + 1] = deltaDot?.sum(dim: 0) ?? zeros_like(_biases[l]);
            if (l == 0) break;
            var back = delta.matmul(_weights[l]);
            var backDot = delta.matmul(dW[l]);
            if (deltaDot is not null) backDot.add_(deltaDot.matmul(_weights[l]));
            deltaDot = backDot.mul_(_slope[l - 1]).add_(back * _curvature[l - 1] * pre[l - 1]);
            delta = back.mul_(_slope[l - 1]);
        }
        return grads.ToList();
    }

    /// <summary>The layer input that tangents multiply: h_l, except X U for the first layer when reduced.</summary>
    private Tensor TangentInput(int l) => l == 0 ? _tangentInputs : _inputs[l];

    private Tensor Native(Tensor v, long length)
    {
        if (v.dim() != 1 || v.numel() != length)
            throw new ArgumentException($"expected a vector of length {length}, got shape [{string.Join(",", v.shape)}].");
        var native = v.to(_dtype);
        return length == OutputSize ? native.view(SampleCount, -1) : native;
    }

    private (List<Tensor> dW, List<Tensor> db) Split(Tensor flat)
    {
        var dW = new List<Tensor>();
        var db = new List<Tensor>();
        long at = 0;
        for (int l = 0; l < Depth; l++)
        {
            long size = _weightShapes[l][0] * _weightShapes[l][1];
            dW.Add(flat.narrow(0, at, size).view(_weightShapes[l]));
            at += size;
            db.Add(flat.narrow(0, at, _biases[l].numel()));
            at += _biases[l].numel();
        }
        return (dW, db);
    }

    private static Tensor Flatten(IEnumerable<Tensor> parts) => cat(parts.Select(p => p.flatten()).ToList()).to(float64);

    public void Dispose()
    {
        foreach (var t in _owned) t.Dispose();
        _owned.Clear();
    }
}
