using Probes.Models;
using TorchSharp;
using Training.Model;
using static TorchSharp.torch;

namespace Training.Train;

/// <summary>
/// Full-batch GD on L(θ) = (1/n) Σᵢ ℓ(f(xᵢ), yᵢ), the squared loss ½‖f(xᵢ) − yᵢ‖² unless another <see cref="ILoss"/> is
/// given: θ ← θ − η ∇L. Each call runs in its own dispose scope.
/// </summary>
internal static class GradientDescent
{
    /// <summary>The loss (½‖f − Y‖²/n by default) and accuracy of f on (X, Y, labels), without gradients.</summary>
    public static (double Loss, double Accuracy) Evaluate(Network model, Tensor x, Tensor y, Tensor labels, ILoss? loss = null)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var output = model.forward(x);
        return ((loss ?? SquaredLoss.Instance).Mean(output, y).ToDouble(), Accuracy(output, labels));
    }

    /// <summary>Loss (½‖f − Y‖²/n by default), accuracy and gradient at the current θ; leaves ∇L in each parameter's .grad.</summary>
    public static (double Loss, double Accuracy, double GradNorm) Gradient(Network model, Tensor x, Tensor y, Tensor labels, ILoss? loss = null)
    {
        using var scope = NewDisposeScope();
        model.zero_grad();
        var output = model.forward(x);
        var value = (loss ?? SquaredLoss.Instance).Mean(output, y);
        value.backward();
        double gradSquares = model.parameters().Sum(p => p.grad!.square().sum().ToDouble());
        return (value.ToDouble(), Accuracy(output, labels), Math.Sqrt(gradSquares));
    }

    /// <summary>θ ← θ − η·grad, in place.</summary>
    public static void Step(Network model, double learningRate)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var p in model.parameters()) p.add_(p.grad!, -learningRate);
    }

    public static double ParameterNorm(Network model)
    {
        using var scope = NewDisposeScope();
        return Math.Sqrt(model.parameters().Sum(p => p.detach().square().sum().ToDouble()));
    }

    private static double Accuracy(Tensor output, Tensor labels) =>
        output.argmax(1).eq(labels).to(float64).mean().ToDouble();
}
