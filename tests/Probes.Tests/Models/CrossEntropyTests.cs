using Probes.Models;
using Probes.Probing;
using TorchSharp;
using Training.Config;
using Training.Optimizers;
using Training.Train;
using Xunit;
using static Probes.Tests.Numerics;
using static TorchSharp.torch;

namespace Probes.Tests;

/// <summary>
/// The cross-entropy loss against references that do not use <see cref="ILoss"/>: PyTorch's own cross_entropy for the value,
/// autograd's first and second derivatives of it for g and Λ, the dense Hessian of L(θ) by double backward through
/// cross_entropy for both points' H, and 20 GD steps written out with cross_entropy's gradient for the training loop.
/// </summary>
public class CrossEntropyTests
{
    private static (Tensor Outputs, Tensor Labels, Tensor OneHot) Batch()
    {
        var g = new Generator(5);
        var f = randn([6, 4], float64, generator: g) * 2;
        var labels = tensor(new long[] { 0, 3, 1, 1, 2, 0 });
        return (f, labels, nn.functional.one_hot(labels, 4).to(float64));
    }

    [Fact]
    public void ValueGradientAndCurvatureAreThoseOfPyTorchsCrossEntropy()
    {
        var (f, labels, y) = Batch();
        var loss = ILoss.Named["ce"];
        Close(loss.Mean(f, y).item<double>(), nn.functional.cross_entropy(f, labels).item<double>(), 1e-14, "mean cross-entropy");
        // Autograd of the summed per-example losses: g = ∂ℓᵢ/∂fᵢ, and Λv = ∂(g·v)/∂f.
        var leaf = f.clone().requires_grad_(true);
        var total = nn.functional.cross_entropy(leaf, labels, reduction: nn.Reduction.Sum);
        var gradient = torch.autograd.grad([total], [leaf], retain_graph: true, create_graph: true)[0];
        Same(gradient.detach(), loss.OutputGradient(f, y), 1e-14, "g");
        var v = randn([6, 4], float64, generator: new Generator(8));
        var curvature = torch.autograd.grad([(gradient * v).sum()], [leaf], retain_graph: false, create_graph: false)[0];
        Same(curvature, loss.OutputCurvature(f, v), 1e-14, "Λv");
        // Λ's null space: a shift of every output of an example changes nothing.
        Assert.True(loss.OutputCurvature(f, ones([6, 4], float64)).abs().max().item<double>() < 1e-15);
    }

    [Fact]
    public void BothPointsHessianAndGradientEqualDenseDerivativesOfTheLoss()
    {
        using var net = new TinyNetwork(n: 5, outputs: 4);
        var labels = net.Y.argmax(1);
        var y = nn.functional.one_hot(labels, 4).to(float64);
        var parameters = net.Model.parameters().Cast<Tensor>().ToList();
        long p = parameters.Sum(q => q.numel());
        // Dense reference: ∇L and H by (double) backward through PyTorch's cross_entropy, one column per parameter.
        var loss = nn.functional.cross_entropy(net.Model.forward(net.X), labels);
        var grads = torch.autograd.grad([loss], parameters, retain_graph: true, create_graph: true);
        var flat = cat(grads.Select(g => g.flatten()).ToList());
        var dense = new double[p, p];
        for (int k = 0; k < p; k++)
        {
            var column = torch.autograd.grad([flat[k]], parameters, retain_graph: true, create_graph: false, allow_unused: true);
            var values = cat(column.Select((c, i) => c.IsInvalid ? zeros(parameters[i].numel(), float64) : c.flatten()).ToList())
                .data<double>().ToArray();
            for (int r = 0; r < p; r++) dense[r, k] = values[r];
        }
        using var fast = new Training.Model.MlpPoint(net.Model, net.X, y, loss: ILoss.Named["ce"]);
        using var generic = new AutogradPoint(() => net.Model.forward(net.X), parameters, y, net.N, ILoss.Named["ce"]);
        foreach (IDifferentiablePoint point in new IDifferentiablePoint[] { fast, generic })
        {
            var gradient = point.JacobianTransposed(point.LossGradient) / net.N;
            Same(flat.detach(), gradient, 1e-12, $"{point.GetType().Name} ∇L = Jᵀg/n");
            double scale = 0, gap = 0;
            for (int k = 0; k < p; k++)
            {
                var column = point.LossHessian(TinyNetwork.Basis(p, k)).data<double>().ToArray();
                for (int r = 0; r < p; r++)
                {
                    scale = Math.Max(scale, Math.Abs(dense[r, k]));
                    gap = Math.Max(gap, Math.Abs(column[r] - dense[r, k]));
                }
            }
            Assert.True(gap <= 1e-10 * scale, $"{point.GetType().Name}: H differs from the dense Hessian by {gap:E3} (scale {scale:E3})");
        }
        // The probes on it: the Hessian's top pair is the dense one; z₁, y and the one-step split are left empty.
        var options = new ProbeOptions
        {
            LearningRate = 0.1, K = 2, Tolerance = 1e-12, HessianTolerance = 1e-12, QTolerance = 1e-12, MaxIterations = 300,
            GradientDescent = false, ResidualLoss = false,
        };
        using var suite = new ProbeSuite(options);
        var record = suite.Run(fast, 0);
        var top = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(dense).Evd().EigenValues.Select(c => c.Real).Max();
        Close(record["hess_1"], top, 1e-9, "hess_1 of the cross-entropy");
        Close(record["edge"], 0.1 * top / 2, 1e-9, "GD's edge on the cross-entropy");
        foreach (var column in new[] { "z1", "z2", "y", "z1_lin", "nl_ratio", "dz1_next" })
            Assert.True(double.IsNaN(record[column]), $"{column} is the squared loss's and stays empty");
    }

    [Fact]
    public void TwentyGdStepsEqualTheUpdateWrittenOutWithPyTorchsCrossEntropy()
    {
        var s = new TrainSettings { Optimizer = "gd", Loss = "ce", Lr = 0.5, Width = 6, Depth = 1, Dtype = "float64" };
        var g = new Generator(3);
        var x = randn([5, 3072], float64, generator: g) * 0.05;
        var labels = tensor(new long[] { 1, 7, 7, 0, 9 });
        var y = nn.functional.one_hot(labels, 10).to(float64);
        using var model = Trainer.Build(s, ScalarType.Float64, CPU);
        using var reference = Trainer.Build(s, ScalarType.Float64, CPU);
        var optimizer = Optimizer.For(s);
        double first = 0, last = 0;
        for (int step = 0; step < 20; step++)
        {
            var (loss, _, _) = GradientDescent.Gradient(model, x, y, labels, ILoss.Named[s.Loss]);
            optimizer.Step(model);
            var referenceLoss = nn.functional.cross_entropy(reference.forward(x), labels);
            var grads = torch.autograd.grad([referenceLoss], reference.parameters().Cast<Tensor>().ToList());
            Close(loss, referenceLoss.item<double>(), 1e-13, $"loss at step {step}");
            using (no_grad())
                foreach (var (q, grad) in reference.parameters().Zip(grads)) q.sub_(grad * s.Lr);
            if (step == 0) first = loss;
            last = loss;
        }
        var ours = cat(model.parameters().Select(q => q.detach().flatten()).ToList());
        var written = cat(reference.parameters().Select(q => q.detach().flatten()).ToList());
        Same(written, ours, 1e-12, "θ after 20 steps");
        Assert.True(last < 0.9 * first, $"the loss fell only from {first} to {last}: the comparison says little");
    }

    private static void Same(Tensor expected, Tensor actual, double tolerance, string what)
    {
        double scale = expected.abs().max().item<double>(), gap = (expected - actual).abs().max().item<double>();
        Assert.True(gap <= tolerance * Math.Max(scale, 1e-300), $"{what}: largest difference {gap:E3} against {scale:E3}");
    }
}
