using Training.Config;
using Training.Model;
using static TorchSharp.torch;

namespace Training.Optimizers;

/// <summary>
/// A full-batch optimizer with PyTorch's semantics (torch.optim.SGD, RMSprop, Adam at their defaults unless set), stepping
/// θ in place from the gradient that <see cref="Train.GradientDescent.Gradient"/> left in each parameter's .grad. Its state
/// (momentum buffers, second moments, the step count) is named float64 vectors, so a checkpoint holds it exactly and a
/// resumed run equals an uninterrupted one bit for bit. Each optimizer is one file; <see cref="For"/> is the one place
/// names map to them.
/// </summary>
internal abstract class Optimizer
{
    /// <summary>The names --optimizer takes.</summary>
    public static readonly string[] Names = ["gd", "momentum", "nesterov", "rmsprop", "adam"];

    public static Optimizer For(TrainSettings s) => s.Optimizer switch
    {
        "gd" => new Sgd(s.Lr, 0, nesterov: false),
        "momentum" => new Sgd(s.Lr, s.Momentum, nesterov: false),
        "nesterov" => new Sgd(s.Lr, s.Momentum, nesterov: true),
        "rmsprop" => new RmsProp(s.Lr, s.Beta2 ?? RmsProp.DefaultAlpha, s.Eps),
        "adam" => new Adam(s.Lr, s.Beta1, s.Beta2 ?? Adam.DefaultBeta2, s.Eps),
        var other => throw new ProbesError($"unknown optimizer '{other}' (known: {string.Join(", ", Names)})."),
    };

    /// <summary>θ ← the optimizer's update of θ with the gradient in each parameter's .grad, in place.</summary>
    public abstract void Step(IReadOnlyList<Tensor> parameters);

    /// <summary>The network's step: its parameters in order.</summary>
    public void Step(Network model) => Step(ParametersOf(model));

    /// <summary>
    /// The step Δθ = θₜ₊₁ − θₜ that <see cref="Step(IReadOnlyList{Tensor})"/> would take from θₜ (its gradient in .grad), flattened in
    /// parameter order, float64, leaving θ and the optimizer's state as they were. Taken by stepping and undoing the step, so
    /// it is the optimizer's own update to the bit and no rule is written twice; costs one step and one copy of the state.
    /// </summary>
    public Tensor NextStep(IReadOnlyList<Tensor> parameters)
    {
        var state = Export();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var before = parameters.Select(p => p.detach().clone()).ToList();
        Step(parameters);
        var step = Flat(parameters).sub_(Flat(before));     // float32 differences are exact in float64
        foreach (var (p, b) in parameters.Zip(before)) p.copy_(b);
        Import(state, parameters);
        return step.MoveToOuterDisposeScope();
    }

    public Tensor NextStep(Network model) => NextStep(ParametersOf(model));

    /// <summary>
    /// Runs <paramref name="body"/> with θ moved to θ + fraction·Δθ along the step <see cref="NextStep(IReadOnlyList{Tensor})"/>
    /// gives, then puts θ back bit for bit (a copy, not a subtraction), even when the body throws. The optimizer's state and
    /// each .grad are left as they were, so training goes on unchanged.
    /// </summary>
    public void AlongNextStep(Network model, double fraction, Action body)
    {
        var parameters = ParametersOf(model);
        using var step = NextStep(parameters);
        var before = parameters.Select(p => p.detach().clone()).ToList();
        try
        {
            // No dispose scope around the body: what it keeps (the probes' warm starts) belongs to the caller's scope.
            using (NewDisposeScope())
            using (no_grad())
            {
                long offset = 0;
                foreach (var p in parameters)
                {
                    var part = step.narrow(0, offset, p.numel()).view_as(p);
                    p.copy_(p.to(float64).add(part, alpha: fraction));
                    offset += p.numel();
                }
            }
            body();
        }
        finally
        {
            using (no_grad()) foreach (var (p, b) in parameters.Zip(before)) p.copy_(b);
            foreach (var b in before) b.Dispose();
        }
    }

    /// <summary>
    /// The stability threshold of the optimizer's (preconditioned) sharpness on a quadratic: the value of λ₁(P⁻¹H) above which
    /// its linear recurrence diverges (docs/optimizers.md derives each).
    /// </summary>
    public abstract double Threshold { get; }

    /// <summary>
    /// The diagonal preconditioner P of the step from θₜ, whose gradient is in .grad (not yet stepped): flattened in
    /// parameter order, float64; null for P = I (GD and the momentum methods). The probes' eff_hess_i are λᵢ(P⁻¹H).
    /// </summary>
    public virtual Tensor? Preconditioner(IReadOnlyList<Tensor> parameters) => null;

    public Tensor? Preconditioner(Network model) => Preconditioner(ParametersOf(model));

    /// <summary>How many parameter-sized buffers the optimizer keeps (momentum, moments), for the memory a run needs.</summary>
    public abstract int BufferCount { get; }

    /// <summary>Whether the step divides by a diagonal P (<see cref="Preconditioner(IReadOnlyList{Tensor})"/> is not null).</summary>
    public virtual bool Preconditioned => false;

    /// <summary>Whether the step is plain GD, θ ← θ − η∇L: the columns derived from the GD step apply only then.</summary>
    public virtual bool IsGradientDescent => false;

    /// <summary>The parameters' buffers flattened into one float64 vector, in parameter order (the points' order).</summary>
    protected static Tensor Flat(IEnumerable<Tensor> buffers) => cat([.. buffers.Select(b => b.detach().flatten().to(float64))]);

    /// <summary>The state a checkpoint keeps, as named float64 vectors (empty for plain GD).</summary>
    public abstract Dictionary<string, double[][]> Export();

    /// <summary>Puts the state back; <paramref name="parameters"/> give each buffer its shape, dtype and device.</summary>
    public abstract void Import(IReadOnlyDictionary<string, double[][]> state, IReadOnlyList<Tensor> parameters);

    public void Import(IReadOnlyDictionary<string, double[][]> state, Network model) => Import(state, ParametersOf(model));

    private static Tensor[] ParametersOf(Network model) => [.. model.parameters()];

    protected static double[][] Vectors(IEnumerable<Tensor> buffers) =>
        [.. buffers.Select(b => b.detach().cpu().to(float64).data<double>().ToArray())];

    protected static List<Tensor> Buffers(IReadOnlyDictionary<string, double[][]> state, string key, IReadOnlyList<Tensor> parameters)
    {
        if (!state.TryGetValue(key, out var vectors) || vectors.Length != parameters.Count
            || parameters.Zip(vectors).Any(p => p.First.numel() != p.Second.Length))
            throw new ProbesError($"the checkpoint's optimizer state has no '{key}' of the network's shape; nothing was changed.");
        return [.. parameters.Zip(vectors).Select(p => tensor(p.Second, float64).reshape(p.First.shape).to(p.First.dtype)
            .to(p.First.device).DetachFromDisposeScope())];
    }
}
