using Probes.Eigensolvers;
using Probes.Models;
using Probes.Operators;
using static TorchSharp.torch;

namespace Training.Flows;

/// <summary>
/// What <see cref="FlowRow"/> needs of each of the three processes (GD, the central flow, the stable flow), whatever the model:
/// a point at its θ, the loss there, its top Hessian eigenpairs and a way to move. The network's is <see cref="FlowProcess"/>,
/// a quadratic model's <see cref="QuadraticFlowProcess"/>.
/// </summary>
internal interface IFlowProcess : IDisposable
{
    /// <summary>The point at the process's θ now (stale once it moves: dispose it first).</summary>
    IDifferentiablePoint Point();

    /// <summary>L at <paramref name="point"/>, one of this process's points.</summary>
    double Loss(IDifferentiablePoint point);

    /// <summary>The top-k Hessian eigenpairs at <paramref name="point"/>, largest first (vectors in the caller's dispose scope).</summary>
    (double Value, Tensor Vector)[] Top(IDifferentiablePoint point);

    /// <summary>The eigenvectors of the last <see cref="Top"/> (as its checkpoint keeps them): the span the central flow's
    /// Rayleigh–Ritz refreshes read in the steps between its solves. Empty before the first.</summary>
    IReadOnlyList<Tensor> Solved { get; }

    /// <summary>The central flow's span and what it carried between refreshes (<see cref="HeldSpan"/>).</summary>
    HeldSpan Held { get; }

    /// <summary>The Hessian's eigenpairs at <paramref name="point"/> within the span of <paramref name="vectors"/> (Rayleigh–Ritz, one
    /// product per vector), largest first, with their relative residuals: the central flow's eigenpairs between its solves.</summary>
    RitzPair[] Within(IDifferentiablePoint point, IReadOnlyList<Tensor> vectors) => RayleighRitz.Pairs(ModelOperators.LossHessian(point), vectors);

    /// <summary>θ ← θ + δ, δ in <paramref name="point"/>'s coordinates.</summary>
    void Displace(IDifferentiablePoint point, Tensor delta);

    /// <summary>θ flattened, float64, in the model's full coordinates (for the distances).</summary>
    Tensor Theta();
}
