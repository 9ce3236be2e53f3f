using Probes.Models;
using Probes.Probing;
using QuadraticFit.Models;
using Xunit;
using static Probes.Tests.Numerics;
using static TorchSharp.torch;

namespace Probes.Tests;

public class QuadraticModelTests
{
    [Fact]
    public void FunctionSpaceAndParameterSpaceGradientDescentAgree()
    {
        var (sz, sj) = QuadraticModel.Rescaled(3, 2, 6, 9);
        using var model = QuadraticModel.Random(6, 9, sz, sj, seed: 4);
        var z = model.Residual(model.Theta);
        var j = model.Jacobian(model.Theta);
        double eta = 1.5 / linalg.eigvalsh(j.matmul(j.t())).max().item<double>();   // η·λ₁ = 1.5 at the start
        for (int t = 0; t < 40; t++)
        {
            (z, j) = model.FunctionStep(z, j, eta);
            model.ParameterStep(eta);
            Close(z, model.Residual(model.Theta), 1e-10, $"z at step {t + 1}");
            Close(j, model.Jacobian(model.Theta), 1e-10, $"J at step {t + 1}");
        }
    }

    [Fact]
    public void PointProductsMatchFiniteDifferencesAndTheDenseQ()
    {
        using var model = QuadraticModel.Random(4, 7, 0.5, 0.7, seed: 5);
        model.SetParameters(randn([7], float64, generator: new Generator(1)) * 0.3);
        using var p = model.At();
        var gen = new Generator(2);
        var u = randn([4], float64, generator: gen);
        var w = randn([7], float64, generator: gen);
        double h = 1e-5;
        Close(p.Jacobian(w), (p.ResidualAt(w * h) - p.ResidualAt(w * -h)) / (2 * h), 1e-9, "Jw");
        Close(p.JacobianTransposed(u), model.Jacobian(model.Theta).t().mv(u), 1e-14, "Jᵀu");
        var dense = zeros(7, 7, float64);
        for (int d = 0; d < 4; d++) dense += model.Q[d] * u[d];
        Close(p.OutputHessian(u, w), dense.mv(w), 1e-13, "Q_u w");
        // Q(a, b): the second difference of z along a and b.
        var a = randn([7], float64, generator: gen);
        var second = (p.ResidualAt(a * h + w * h) - p.ResidualAt(a * h - w * h) - p.ResidualAt(w * h - a * h) + p.ResidualAt(-a * h - w * h)) / (4 * h
            * h);
        Close(p.SecondDirectional(a, w), second, 1e-6, "Q(a, b)");
    }

    [Fact]
    public void ProbesRunUnchangedOnAQuadraticModel()
    {
        using var model = QuadraticModel.Random(5, 8, 0.4, 0.6, seed: 6);
        using var point = model.At();
        using var suite = new ProbeSuite(new ProbeOptions
        {
            LearningRate = 0.3, K = 2, Tolerance = 1e-12, HessianTolerance = 1e-12,
            QTolerance = 1e-12, MaxIterations = 40
        });
        var r = suite.Run(point, 0);
        var j = model.Jacobian(model.Theta);
        var top = linalg.eigvalsh(j.matmul(j.t())).max().item<double>();
        Close(r["ntk_1"], top, 1e-10, "NTK λ₁ of a quadratic model");
        // Q₁ is v₁-weighted Q: its extremes from the dense matrix.
        // The exact v₁ (the suite keeps its vectors rounded to float32), signed as the suite's.
        var (_, vectors) = linalg.eigh(j.matmul(j.t()));
        var v1 = vectors[.., -1];
        if (v1.dot(suite.NtkVectors[0]).item<double>() < 0) v1 = -v1;
        var q1 = zeros(8, 8, float64);
        for (int d = 0; d < 5; d++) q1 += model.Q[d] * v1[d];
        var q1Values = linalg.eigvalsh(q1);
        Close(r["q1_max"], q1Values.max().item<double>(), 1e-10, "Q₁ max");
        Close(r["q1_min"], q1Values.min().item<double>(), 1e-10, "Q₁ min");
    }

    [Fact]
    public void MlpSecondDirectionalMatchesFiniteDifferencesOfTheJacobian()
    {
        using var net = new TinyNetwork(n: 3);
        using var p = net.Fast();
        using var g = net.Generic();
        var gen = new Generator(12);
        var a = randn([p.ParameterSize], float64, generator: gen);
        var b = randn([p.ParameterSize], float64, generator: gen);
        double h = 1e-5;
        Tensor JacobianAt(Tensor delta)
        {
            DifferentiablePointTests.Shift(net.Model, delta);
            try { using var moved = net.Fast(); return moved.Jacobian(b); }
            finally { DifferentiablePointTests.Shift(net.Model, -delta); }
        }
        Close(p.SecondDirectional(a, b), (JacobianAt(a * h) - JacobianAt(a * -h)) / (2 * h), 1e-7, "Q(a, b) vs finite differences");
        Close(p.SecondDirectional(a, b), p.SecondDirectional(b, a), 1e-12, "Q(a, b) symmetric");
        // u·Q(a, b) = aᵀ Q_u b, against the generic point's HVP.
        var u = randn([p.OutputSize], float64, generator: gen);
        Close(u.dot(p.SecondDirectional(a, b)), a.dot(g.OutputHessian(u, b)), 1e-10, "u·Q(a,b) = aᵀQ_u b");
    }

    [Fact]
    public void TaylorModelOfAQuadraticModelIsTheModelItself()
    {
        using var model = QuadraticModel.Random(5, 8, 0.5, 0.6, seed: 7);
        model.SetParameters(randn([8], float64, generator: new Generator(3)) * 0.2);
        using var basePoint = model.At();
        using var taylor = new TaylorModel(basePoint);
        var j = model.Jacobian(model.Theta);
        double eta = 0.5 / linalg.eigvalsh(j.matmul(j.t())).max().item<double>();
        for (int t = 0; t < 20; t++)
        {
            taylor.Step(eta);
            model.ParameterStep(eta);
            using var tp = taylor.At();
            using var mp = model.At();
            Close(tp.Residual, mp.Residual, 1e-10, $"z at step {t + 1}");
            var w = randn([8], float64, generator: new Generator((ulong)t));
            Close(tp.Jacobian(w), mp.Jacobian(w), 1e-10, "J w");
        }
    }

    [Fact]
    public void TaylorModelOfTheNetworkAgreesToThirdOrder()
    {
        using var net = new TinyNetwork(n: 3);
        using var p = net.Fast();
        using var taylor = new TaylorModel(p);
        var direction = randn([p.ParameterSize], float64, generator: new Generator(8));
        double previous = double.NaN;
        foreach (var scale in new[] { 1e-2, 5e-3 })
        {
            var delta = direction * scale;
            double error = (taylor.Residual(delta) - p.ResidualAt(delta)).norm().item<double>();
            if (!double.IsNaN(previous)) Assert.InRange(previous / error, 6, 10);   // halving δ divides a cubic error by 8
            previous = error;
        }
    }
}

public class TaylorJacobianTests
{
    [Fact]
    public void TaylorJacobianMatchesTheNetworkToSecondOrderInTheStep()
    {
        using var net = new TinyNetwork(n: 3);
        var w = randn([79], float64, generator: new Generator(21));
        var errors = new List<double>();
        foreach (var eta in new[] { 0.02, 0.01 })
        {
            using var p = net.Fast();
            using var taylor = new TaylorModel(p);
            taylor.Step(eta);
            using var tp = taylor.At();
            DifferentiablePointTests.Shift(net.Model, taylor.Delta);
            try
            {
                using var moved = net.Fast();
                errors.Add((tp.Jacobian(w) - moved.Jacobian(w)).norm().item<double>());
                Assert.True((tp.JacobianTransposed(moved.Residual) - moved.JacobianTransposed(moved.Residual)).norm().item<double>()
                    < 1e-2 * moved.JacobianTransposed(moved.Residual).norm().item<double>());
            }
            finally { DifferentiablePointTests.Shift(net.Model, -taylor.Delta); }
        }
        Assert.InRange(errors[0] / errors[1], 3, 5);   // halving δ quarters the error of J
    }
}
