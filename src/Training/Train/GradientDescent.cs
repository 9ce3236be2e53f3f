using TorchSharp;
using Training.Model;
using static TorchSharp.torch;

namespace Training.Train;

/// <summary>
/// Full-batch GD on L(θ) = (1/n) Σᵢ ½‖f(xᵢ) − yᵢ‖²: θ ← θ − η ∇L. Each call runs in its own dispose scope.
/// </summary>
internal static class GradientDescent
{
    /// <summary>½‖f − Y‖²/n and accuracy of f on (X, Y, labels), without gradients.</summary>
    public static (double Loss, double Accuracy) Evaluate(Mlp model, Tensor x, Tensor y, Tensor labels)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var output = model.forward(x);
        return (Loss(output, y).ToDouble(), Accuracy(output, labels));
    }

    /// <summary>Loss, accuracy and gradient at the current θ; leaves ∇L in each parameter's .grad.</summary>
    public static (double Loss, double Accuracy, double GradNorm) Gradient(Mlp model, Tensor x, Tensor y, Tensor labels)
    {
        using var scope = NewDisposeScope();
        model.zero_grad();
        var output = model.forward(x);
        var loss = Loss(output, y);
        loss.backward();
        double gradSquares = model.parameters().Sum(p => p.grad!.pow(2).sum().ToDouble());
        return (loss.ToDouble(), Accuracy(output, labels), Math.Sqrt(gradSquares));
    }

    /// <summary>θ ← θ − η·grad, in place.</summary>
    public static void Step(Mlp model, double learningRate)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var p in model.parameters()) p.add_(p.grad!, -learningRate);
    }

    public static double ParameterNorm(Mlp model)
    {
        using var scope = NewDisposeScope();
        return Math.Sqrt(model.parameters().Sum(p => p.detach().pow(2).sum().ToDouble()));
    }

    private static Tensor Loss(Tensor output, Tensor y) => Probes.Models.SquaredLoss.Of(output - y, output.shape[0]);

    private static double Accuracy(Tensor output, Tensor labels) =>
        output.argmax(1).eq(labels).to(float64).mean().ToDouble();
}
