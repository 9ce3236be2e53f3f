using Probes.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Probes.Tests;

/// <summary>The selfstab probe's columns against their definitions computed from a dense Hessian on the tiny network.</summary>
public class SelfStabilizationProbeTests
{
    [Fact]
    public void TheColumnsAreDamianEtAlsQuantitiesAtTheDenseTopEigenvector()
    {
        const double eta = 0.05;
        using var net = new TinyNetwork(n: 5);
        using var generic = net.Generic();
        var parameters = net.Model.parameters().Cast<Tensor>().ToList();
        long p = generic.ParameterSize;
        var dense = new double[p, p];
        for (int k = 0; k < p; k++)
        {
            var column = ((IDifferentiablePoint)generic).LossHessian(TinyNetwork.Basis(p, k)).data<double>().ToArray();
            for (int row = 0; row < p; row++) dense[row, k] = column[row];
        }
        var evd = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(dense)
            .Evd(MathNet.Numerics.LinearAlgebra.Symmetricity.Symmetric);
        int top = Enumerable.Range(0, (int)p).MaxBy(i => evd.EigenValues[i].Real);
        var u = tensor(evd.EigenVectors.Column(top).ToArray(), float64);
        var gradS = ((IDifferentiablePoint)generic).LossThirdOrder(u, u);
        var loss = SquaredLoss.Of(net.Model.forward(net.X) - net.Y, net.N);
        var gradL = cat(torch.autograd.grad([loss], parameters).Select(g => g.flatten()).ToList());
        var perpendicular = gradS - u * u.dot(gradS);
        double alpha = -gradL.dot(perpendicular).item<double>(), beta = perpendicular.dot(perpendicular).item<double>();
        var options = new Probing.ProbeOptions
        {
            LearningRate = eta, K = 2, Tolerance = 1e-12, HessianTolerance = 1e-12, QTolerance = 1e-12, MaxIterations = 300,
            Kinds = Probing.ProbeKinds.Hessian | Probing.ProbeKinds.SelfStabilization,
        };
        using var suite = new Probing.ProbeSuite(options);
        using var fast = net.Fast();
        var r = suite.Run(fast, 0);
        Numerics.Close(r["s_grad_norm"], gradS.norm().item<double>(), 1e-9, "‖∇S‖");
        Numerics.Close(Math.Abs(r["u_grad_s"]), Math.Abs(u.dot(gradS).item<double>()), 1e-9, "|u·∇S|");
        Numerics.Close(r["alpha"], alpha, 1e-8, "α");
        Numerics.Close(r["beta"], beta, 1e-8, "β");
        if (alpha > 0) Numerics.Close(r["delta2"], 2 * alpha / beta, 1e-8, "δ²");
        else Assert.True(double.IsNaN(r["delta2"]), "δ² is empty when α ≤ 0");
        Numerics.Close(Math.Abs(r["x_u"]), Math.Abs(0.5 * eta * u.dot(gradL).item<double>()), 1e-9, "|x_u|");
        // Not GD: self-stabilization describes GD's step, and its columns stay empty.
        using var adam = new Probing.ProbeSuite(options with { GradientDescent = false, Threshold = 760 });
        Assert.True(double.IsNaN(adam.Run(fast, 0)["alpha"]));
    }
}
