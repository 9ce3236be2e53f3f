using Probes.Models;
using static TorchSharp.torch;

namespace QuadraticFit.Models;

/// <summary>
/// The general second-order regression model of Agarwala et al. §4: residual z(θ) = z₀ + Gθ + ½Q(θ,θ) with
/// D outputs and P parameters (G ∈ R^{D×P}, Q ∈ R^{D×P×P} symmetric in its last two indices), in float64.
/// The loss is (1/n)·½‖z‖², so n = 1 is the paper's ½‖z‖² and K = J Jᵀ/n with J(θ) = G + Q(θ, ·).
/// </summary>
/// <remarks>
/// GD can run in parameter space (θ ← θ − (η/n)J(θ)ᵀz) or in function space (paper Eqs. 25–26, here with
/// η/n for η: z' = z − ηJJᵀz + ½η²Q(Jᵀz, Jᵀz), J' = J − ηQ(Jᵀz, ·)); for a quadratic model the two are the
/// same map, exactly. <see cref="At"/> gives the <see cref="IDifferentiablePoint"/> the probes run on.
/// </remarks>
public sealed class QuadraticModel : IDisposable
{
    public QuadraticModel(Tensor z0, Tensor g, Tensor q, int sampleCount = 1)
    {
        if (z0.dim() != 1 || g.dim() != 2 || q.dim() != 3 || g.shape[0] != z0.shape[0] || q.shape[0] != z0.shape[0]
            || q.shape[1] != g.shape[1] || q.shape[2] != g.shape[1])
            throw new ArgumentException("a quadratic model needs z₀ [D], G [D, P] and Q [D, P, P].");
        Z0 = z0.to(float64).DetachFromDisposeScope();
        G = g.to(float64).DetachFromDisposeScope();
        Q = (0.5 * (q.to(float64) + q.to(float64).transpose(1, 2))).DetachFromDisposeScope();
        SampleCount = sampleCount;
        Theta = zeros(G.shape[1], float64, G.device).DetachFromDisposeScope();
    }

    public Tensor Z0 { get; }
    public Tensor G { get; }
    public Tensor Q { get; }
    public Tensor Theta { get; private set; }
    public int SampleCount { get; }
    public long D => Z0.shape[0];
    public long P => G.shape[1];

    /// <summary>
    /// A random rotation-invariant model: z₀ ~ N(0, σ_z²), G ~ N(0, σ_J²), Q symmetric with unit-variance
    /// off-diagonal entries (or the paper's i.i.d. convention, see <see cref="QConvention"/>), from a seed.
    /// The paper's rescaling is σ_z = σ̃_z/D and σ_J = σ̃_J/(DP)^{1/4}.
    /// </summary>
    public static QuadraticModel Random(int d, int p, double sigmaZ, double sigmaJ, long seed, QConvention convention = QConvention.Goe)
    {
        using var scope = NewDisposeScope();          // the D·P² temporaries go now, not at the next GC
        var (xi, gamma, q) = UnitDraws(d, p, seed, convention);
        return new QuadraticModel(xi * sigmaZ, gamma * sigmaJ, q);
    }

    /// <summary>
    /// The unit draws of a random model of <paramref name="seed"/>, in this order: ξ ~ N(0, I_D) (z₀ = σ_z ξ),
    /// Γ ~ N(0, 1)^{D×P} (G = σ_J Γ) and Q = (A + Aᵀ)/√2 with A ~ N(0, 1)^{D×P×P} (off-diagonal variance 1,
    /// diagonal 2), or (A + Aᵀ)/2 in the i.i.d. convention. Every random model and the phase diagram draw
    /// through here, so a seed means one model (and one A in either convention).
    /// </summary>
    public static (Tensor Xi, Tensor Gamma, Tensor Q) UnitDraws(int d, int p, long seed, QConvention convention = QConvention.Goe)
    {
        var generator = new Generator((ulong)seed);
        var xi = randn([d], float64, generator: generator);
        var gamma = randn([d, p], float64, generator: generator);
        var a = randn([d, p, p], float64, generator: generator);
        return (xi, gamma, (a + a.transpose(1, 2)) / (convention == QConvention.Iid ? 2 : Math.Sqrt(2)));
    }

    public static (double SigmaZ, double SigmaJ) Rescaled(double sigmaZTilde, double sigmaJTilde, int d, int p) =>
        (sigmaZTilde / d, sigmaJTilde / Math.Pow((double)d * p, 0.25));

    /// <summary>z(θ) = z₀ + Gθ + ½Q(θ,θ).</summary>
    public Tensor Residual(Tensor theta) => Z0 + G.mv(theta) + 0.5 * Q.matmul(theta).mv(theta);

    /// <summary>J(θ) = G + Q(θ, ·), D × P.</summary>
    public Tensor Jacobian(Tensor theta) => G + Q.matmul(theta);

    public void SetParameters(Tensor theta)
    {
        Theta.Dispose();
        Theta = theta.to(float64).clone().DetachFromDisposeScope();
    }

    /// <summary>One GD step in parameter space: θ ← θ − (η/n) J(θ)ᵀ z(θ).</summary>
    public void ParameterStep(double eta)
    {
        using var scope = NewDisposeScope();
        SetParameters(Theta - Jacobian(Theta).t().mv(Residual(Theta)) * (eta / SampleCount));
    }

    /// <summary>One GD step in function space (paper Eqs. 25–26): from (z, J) to (z', J').</summary>
    public (Tensor Z, Tensor J) FunctionStep(Tensor z, Tensor j, double eta)
    {
        double step = eta / SampleCount;
        var v = j.t().mv(z);                          // Jᵀz
        var qv = Q.matmul(v);                         // Q(Jᵀz, ·), D × P
        return (z - step * j.mv(v) + 0.5 * step * step * qv.mv(v), j - step * qv);
    }

    /// <summary>The probe interface at the current θ.</summary>
    public IDifferentiablePoint At() => new QuadraticPoint(this, Theta);

    public void Dispose()
    {
        Z0.Dispose();
        G.Dispose();
        Q.Dispose();
        Theta.Dispose();
        Probes.Eigensolvers.NativeHeap.Trim();      // Monte Carlo loops free a D·P² block per model: see NativeHeap
    }
}

/// <summary>A <see cref="QuadraticModel"/> at one θ: every product exact and closed-form.</summary>
internal sealed class QuadraticPoint : IDifferentiablePoint
{
    private readonly QuadraticModel _m;
    private readonly Tensor _theta, _jacobian;

    public QuadraticPoint(QuadraticModel model, Tensor theta)
    {
        _m = model;
        _theta = theta.clone().DetachFromDisposeScope();
        _jacobian = model.Jacobian(theta).DetachFromDisposeScope();
        Residual = model.Residual(theta).DetachFromDisposeScope();
    }

    public long OutputSize => _m.D;
    public long ParameterSize => _m.P;
    public int SampleCount => _m.SampleCount;
    public Device Device => _m.G.device;
    public Tensor Residual { get; }
    public Tensor JacobianTransposed(Tensor u) => _jacobian.t().mv(u.to(float64));
    public Tensor Jacobian(Tensor w) => _jacobian.mv(w.to(float64));
    public Tensor OutputHessian(Tensor u, Tensor w) => _m.Q.transpose(0, 2).matmul(u.to(float64)).mv(w.to(float64));
    public Tensor ResidualAt(Tensor delta) => _m.Residual(_theta + delta.to(float64));
    public Tensor SecondDirectional(Tensor a, Tensor b) => _m.Q.matmul(b.to(float64)).mv(a.to(float64));
    public Tensor LossThirdOrder(Tensor u, Tensor v) => ThirdOrder.OfQuadraticOutputs(this, u, v);

    public void Dispose()
    {
        _theta.Dispose();
        _jacobian.Dispose();
        Residual.Dispose();
    }
}
