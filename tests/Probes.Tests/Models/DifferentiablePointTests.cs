using Probes.Models;
using Training.Model;
using Xunit;
using static Probes.Tests.Numerics;
using static TorchSharp.torch;

namespace Probes.Tests;

/// <summary>The fast MLP point against the generic autograd point and against finite differences.</summary>
public class DifferentiablePointTests
{
    [Theory]
    [InlineData(nameof(Activation.Tanh))]
    [InlineData(nameof(Activation.Relu))]
    [InlineData(nameof(Activation.Elu))]
    [InlineData(nameof(Activation.Identity))]
    public void FastAndGenericPointsAgree(string activationName)
    {
        var activation = Enum.Parse<Activation>(activationName);
        using var net = new TinyNetwork(activation: activation);
        using var fast = net.Fast();
        using var generic = net.Generic();
        IDifferentiablePoint f = fast, g = generic;
        var gen = new Generator(7);
        var u = randn([f.OutputSize], float64, generator: gen);
        var w = randn([f.ParameterSize], float64, generator: gen);
        Close(f.Residual, g.Residual, 1e-14, "z");
        Close(f.JacobianTransposed(u), g.JacobianTransposed(u), 1e-12, "Jᵀu");
        Close(f.Jacobian(w), g.Jacobian(w), 1e-12, "Jw");
        Close(f.Ntk(u), g.Ntk(u), 1e-10, "K·u");
        Close(f.OutputHessian(u, w), g.OutputHessian(u, w), 1e-10, "Q_u·w");
        Close(f.LossHessian(w), g.LossHessian(w), 1e-10, "H·w");
        Close(f.ResidualAt(w * 1e-3), g.ResidualAt(w * 1e-3), 1e-13, "z(θ+δ)");
        // The one-tangent-pass quadratic form against the generic point's default (w · Q_u w).
        Close(f.OutputHessianForm(u, w), g.OutputHessianForm(u, w), 1e-10, "wᵀQ_u w");
        Close(f.OutputHessianForm(u, w), w.dot(g.OutputHessian(u, w)).item<double>(), 1e-10, "wᵀQ_u w by the product");
    }

    [Fact]
    public void JacobianMatchesCentralDifferences()
    {
        using var net = new TinyNetwork();
        using var p = net.Fast();
        var w = randn([p.ParameterSize], float64, generator: new Generator(3));
        double h = 1e-5;
        var fd = (p.ResidualAt(w * h) - p.ResidualAt(w * -h)) / (2 * h);
        Close(p.Jacobian(w), fd, 1e-8, "Jw vs finite differences");
        var u = randn([p.OutputSize], float64, generator: new Generator(4));
        Close(p.Ntk(u), p.Jacobian(p.JacobianTransposed(u)) / net.N, 1e-13, "K·u = J Jᵀu / n");
    }

    [Fact]
    public void HessianVectorProductsMatchCentralDifferencesOfGradients()
    {
        using var net = new TinyNetwork();
        using var p = net.Fast();
        var gen = new Generator(5);
        var u = randn([p.OutputSize], float64, generator: gen);
        var w = randn([p.ParameterSize], float64, generator: gen);
        double h = 1e-5;
        Tensor GradientAt(Tensor delta, Tensor cotangent)
        {
            Shift(net.Model, delta);
            try
            {
                using var moved = net.Fast();
                return moved.JacobianTransposed(cotangent);
            }
            finally { Shift(net.Model, -delta); }
        }
        var fd = (GradientAt(w * h, u) - GradientAt(w * -h, u)) / (2 * h);
        Close(p.OutputHessian(u, w), fd, 1e-7, "Q_u·w vs finite differences of Jᵀu");

        // Loss Hessian: finite differences of ∇L = Jᵀz / n, with z moving too.
        Tensor LossGradientAt(Tensor delta)
        {
            Shift(net.Model, delta);
            try
            {
                using var moved = net.Fast();
                return moved.JacobianTransposed(moved.Residual) / net.N;
            }
            finally { Shift(net.Model, -delta); }
        }
        var fdLoss = (LossGradientAt(w * h) - LossGradientAt(w * -h)) / (2 * h);
        Close(p.LossHessian(w), fdLoss, 1e-7, "H·w vs finite differences of ∇L");
    }

    [Fact]
    public void LossHessianIsGaussNewtonPlusResidualWeightedOutputHessians()
    {
        using var net = new TinyNetwork(n: 3);
        using var p = net.Fast();
        var j = TinyNetwork.Jacobian(p);
        var q = TinyNetwork.OutputHessian(p, p.Residual);
        int P = (int)p.ParameterSize, D = (int)p.OutputSize;
        var w = randn([P], float64, generator: new Generator(8));
        var wv = w.data<double>().ToArray();
        var expected = new double[P];
        for (int r = 0; r < P; r++)
        {
            double s = 0;
            for (int k = 0; k < P; k++)
            {
                double jtj = 0;
                for (int a = 0; a < D; a++) jtj += j[a, r] * j[a, k];
                s += (jtj + q[r, k]) * wv[k];
            }
            expected[r] = s / net.N;
        }
        Close(p.LossHessian(w), tensor(expected), 1e-12, "H·w vs (JᵀJ + Σ z_α ∇²f_α)/n");
    }

    internal static void Shift(Mlp model, Tensor delta)
    {
        using var _ = no_grad();
        long at = 0;
        foreach (var param in model.parameters())
        {
            param.add_(delta.narrow(0, at, param.numel()).view(param.shape));
            at += param.numel();
        }
    }
}
