using Probes.Models;
using QuadraticFit.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Probes.Tests;

/// <summary>
/// ∇³L[u, v] = ∇(uᵀHv) on every point: against the dense third-derivative tensor of L by autograd on a tiny network (both
/// losses, both network points), against Richardson-extrapolated central differences of uᵀH(θ ± hw)v, and, for the
/// quadratic model, the closed form against autograd through its residual.
/// </summary>
public class ThirdOrderTests
{
    private static Tensor Random(long size, ulong seed) => randn([size], float64, generator: new Generator(seed));

    private static void Same(Tensor expected, Tensor actual, double tolerance, string what)
    {
        double scale = expected.abs().max().item<double>(), gap = (expected - actual).abs().max().item<double>();
        Assert.True(scale > 0 && gap <= tolerance * scale, $"{what}: largest difference {gap:E3} against {scale:E3}");
    }

    [Theory]
    [InlineData("mse", "tanh")]
    [InlineData("ce", "tanh")]
    [InlineData("mse", "elu")]
    public void BothNetworkPointsEqualTheDenseThirdDerivativeTensorContracted(string lossName, string activation)
    {
        using var net = new TinyNetwork(n: 4, inputs: 3, hidden: [3], outputs: 2,
            activation: Training.Model.ActivationFunctions.Parse(activation));
        var loss = ILoss.Named[lossName];
        var targets = lossName == "ce" ? nn.functional.one_hot(net.Y.argmax(1), 2).to(float64) : net.Y;
        var parameters = net.Model.parameters().Cast<Tensor>().ToList();
        long p = parameters.Sum(q => q.numel());
        var u = Random(p, 1);
        var v = Random(p, 2);
        // T[i, j, k] = ∂³L/∂θᵢ∂θⱼ∂θₖ, one reverse pass per (j, k) pair of the flat gradient; then Σⱼₖ T[i, j, k] uⱼ vₖ.
        var value = loss.Mean(net.Model.forward(net.X), targets);
        var gradient = cat(torch.autograd.grad([value], parameters, retain_graph: true, create_graph: true).Select(g => g.flatten()).ToList());
        var contracted = zeros(p, float64);
        for (int j = 0; j < p; j++)
        {
            var row = cat(torch.autograd.grad([gradient[j]], parameters, retain_graph: true, create_graph: true).Select(g => g.flatten()).ToList());
            for (int k = 0; k < p; k++)
            {
                if (!row[k].requires_grad) continue;
                var third = torch.autograd.grad([row[k]], parameters, retain_graph: true, create_graph: false, allow_unused: true);
                var flat = cat(third.Select((g, i) => g.IsInvalid ? zeros(parameters[i].numel(), float64) : g.flatten()).ToList());
                contracted.add_(flat * (u[j] * v[k]));
            }
        }
        using var fast = new Training.Model.MlpPoint(net.Model, net.X, targets, loss: loss);
        using var generic = new AutogradPoint(() => net.Model.forward(net.X), parameters, targets, net.N, loss);
        Same(contracted, fast.LossThirdOrder(u, v), 1e-10, $"MlpPoint ∇³L[u, v] ({lossName})");
        Same(contracted, ((IDifferentiablePoint)generic).LossThirdOrder(u, v), 1e-10, $"AutogradPoint ∇³L[u, v] ({lossName})");
        Same(fast.LossThirdOrder(v, u), fast.LossThirdOrder(u, v), 1e-12, "symmetric in u and v");
    }

    [Fact]
    public void ItIsTheDerivativeOfUHVAlongAnyDirectionByCentralDifferences()
    {
        using var net = new TinyNetwork(n: 5);
        using var point = net.Fast();
        long p = point.ParameterSize;
        var (u, v, w) = (Random(p, 3), Random(p, 4), Random(p, 5));
        double exact = point.LossThirdOrder(u, v).dot(w).item<double>();
        double Form(double h)
        {
            DifferentiablePointTests.Shift(net.Model, w * h);
            using var moved = net.Fast();
            double f = u.dot(moved.LossHessian(v)).item<double>();
            DifferentiablePointTests.Shift(net.Model, w * -h);
            return f;
        }
        double Central(double h) => (Form(h) - Form(-h)) / (2 * h);
        double richardson = (4 * Central(5e-4) - Central(1e-3)) / 3;           // error O(h⁴)
        Assert.True(Math.Abs(richardson - exact) <= 1e-9 * Math.Abs(exact), $"∇(uᵀHv)·w {exact:R} against differences {richardson:R}");
    }

    [Fact]
    public void TheQuadraticModelsClosedFormEqualsAutogradThroughItsResidual()
    {
        var (sigmaZ, sigmaJ) = QuadraticModel.Rescaled(1.0, 0.5, 5, 7);
        using var model = QuadraticModel.Random(5, 7, sigmaZ, sigmaJ, seed: 2);
        model.SetParameters(Random(7, 6) * 0.3);
        using var point = model.At();
        var (u, v) = (Random(7, 7), Random(7, 8));
        var theta = model.Theta.clone().requires_grad_(true);
        var byAutograd = ThirdOrder.ByAutograd(() => SquaredLoss.Of(model.Residual(theta), model.SampleCount), [theta], u, v);
        Same(byAutograd, point.LossThirdOrder(u, v), 1e-12, "quadratic model ∇³L[u, v]");
    }
}
