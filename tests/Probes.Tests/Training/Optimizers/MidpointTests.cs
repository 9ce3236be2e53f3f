using MathNet.Numerics.LinearAlgebra;
using Probes.Models;
using Probes.Probing;
using Training.Config;
using Training.Model;
using Training.Optimizers;
using Training.Train;
using Xunit;
using static TorchSharp.torch;

namespace Probes.Tests;

/// <summary>
/// --probes midpoint: <see cref="Optimizer.AlongNextStep"/> puts θ at θ + ½Δθ exactly and back bit for bit, and eff_hess_mid is
/// λ₁(P⁻¹H) there: against the dense float64 Hessian at the written-out midpoint (GD, heavy ball; mse and ce), and under a
/// preconditioner against the effective Hessian probed at that midpoint directly (RMSProp, Adam).
/// </summary>
public class MidpointTests
{
    [Theory]
    [InlineData("gd")]
    [InlineData("momentum")]
    [InlineData("rmsprop")]
    [InlineData("adam")]
    public void AlongNextStepVisitsTheMidpointAndLeavesTrainingUnchanged(string name)
    {
        var s = OptimizerTests.Settings(name);
        var (x, y, labels) = OptimizerTests.Data();
        using var visited = Trainer.Build(s, ScalarType.Float64, CPU);
        using var plain = Trainer.Build(s, ScalarType.Float64, CPU);
        var (a, b) = (Optimizer.For(s), Optimizer.For(s));
        for (int step = 0; step < 4; step++)
        {
            GradientDescent.Gradient(visited, x, y, labels);
            GradientDescent.Gradient(plain, x, y, labels);
            var before = Flat(visited);
            var delta = a.NextStep(visited).data<double>().ToArray();
            double[]? seen = null;
            a.AlongNextStep(visited, 0.5, () => seen = Flat(visited));
            Assert.Equal(before.Zip(delta, (t, d) => t + 0.5 * d), seen!);
            Assert.Equal(before, Flat(visited));
            // Even a body that throws leaves θ where it was.
            Assert.Throws<InvalidOperationException>(() => a.AlongNextStep(visited, 0.5, () => throw new InvalidOperationException()));
            Assert.Equal(before, Flat(visited));
            a.Step(visited);
            b.Step(plain);
            Assert.Equal(Flat(plain), Flat(visited));              // the state and .grad untouched: the same trajectory, bit for bit
        }
    }

    [Theory]
    [InlineData("gd", "mse")]
    [InlineData("momentum", "mse")]
    [InlineData("gd", "ce")]
    public void TheMidpointSharpnessIsTheDenseHessiansTopEigenvalueHalfwayAlongTheStep(string name, string lossName)
    {
        var s = OptimizerTests.Settings(name, 0.2) with { Loss = lossName };
        var loss = ILoss.Named[lossName];
        var (x, y, labels) = OptimizerTests.Data();
        using var model = (Mlp)Trainer.Build(s, ScalarType.Float64, CPU);
        var optimizer = Optimizer.For(s);
        for (int step = 0; step < 3; step++)
        {
            GradientDescent.Gradient(model, x, y, labels, loss);
            optimizer.Step(model);
        }
        using var span = InputSpan.Of(x)!;
        using var suite = new ProbeSuite(Options(s, optimizer));
        // Two probes: the first midpoint solve starts from θ's u, the second from the first's midpoint vector.
        for (int probeStep = 3; probeStep <= 4; probeStep++)
        {
            GradientDescent.Gradient(model, x, y, labels, loss);
            ProbeRecord r;
            using (var point = new MlpPoint(model, x, y, span, loss))
                r = suite.Run(point, probeStep, atMidpoint: there => optimizer.AlongNextStep(model, 0.5, () =>
                {
                    using var midpoint = new MlpPoint(model, x, y, span, loss);
                    there(midpoint);
                }));
            // The midpoint written out: θ + ½Δθ in a twin, its dense loss Hessian (JᵀΛJ + Σ_α g_α ∇²f_α)/n in the inputs' span.
            using var twin = HalfwayAlongTheStep(s, model, optimizer);
            using var there = new MlpPoint(twin, x, y, span, loss);
            double expected = DenseLossHessian(there).Evd(Symmetricity.Symmetric).EigenValues.Max(c => c.Real);
            Close(r["eff_hess_mid"], expected, 1e-9, $"λ₁(H) at θ + ½Δθ, probe {probeStep}");
            Close(r["edge_mid"], expected / optimizer.Threshold, 1e-9, "edge_mid");
            Assert.True(r["mid_iters"] > 0 && r["mid_resid"] <= 1e-12);
            Assert.True(Math.Abs(r["eff_hess_mid"] - r["hess_1"]) > 1e-6 * r["hess_1"], "the midpoint is another point than θ");
            optimizer.Step(model);
        }
    }

    [Theory]
    [InlineData("rmsprop")]
    [InlineData("adam")]
    public void UnderAPreconditionerTheMidpointSharpnessIsThatOfPInverseHThereWithTheSameP(string name)
    {
        var s = OptimizerTests.Settings(name, 0.002);
        var (x, y, labels) = OptimizerTests.Data();
        using var model = (Mlp)Trainer.Build(s, ScalarType.Float64, CPU);
        var optimizer = Optimizer.For(s);
        for (int step = 0; step < 3; step++)
        {
            GradientDescent.Gradient(model, x, y, labels);
            optimizer.Step(model);
        }
        GradientDescent.Gradient(model, x, y, labels);
        using var p = optimizer.Preconditioner(model)!;
        using var suite = new ProbeSuite(Options(s, optimizer));
        ProbeRecord r, reference;
        using (var point = new MlpPoint(model, x, y, null))
            r = suite.Run(point, 3, preconditioner: p, atMidpoint: there => optimizer.AlongNextStep(model, 0.5, () =>
            {
                using var midpoint = new MlpPoint(model, x, y, null);
                there(midpoint);
            }));
        // The effective Hessian probed at the written-out midpoint, with the P of the step from θ.
        using var twin = HalfwayAlongTheStep(s, model, optimizer);
        using (var at = new MlpPoint(twin, x, y, null))
        using (var fresh = new ProbeSuite(Options(s, optimizer)))
            reference = fresh.Run(at, 0, preconditioner: p);
        Close(r["eff_hess_mid"], reference["eff_hess_1"], 1e-8, "λ₁(P⁻¹H) at θ + ½Δθ");
        Close(r["edge_mid"], reference["edge"], 1e-8, "edge_mid");
        Assert.True(Math.Abs(r["eff_hess_mid"] - r["eff_hess_1"]) > 1e-6 * r["eff_hess_1"], "the midpoint is another point than θ");
    }

    /// <summary>A twin of the network at θ + ½Δθ, written out from the optimizer's next step.</summary>
    private static Mlp HalfwayAlongTheStep(TrainSettings s, Mlp model, Optimizer optimizer)
    {
        using var delta = optimizer.NextStep(model);
        var twin = (Mlp)Trainer.Build(s, ScalarType.Float64, CPU);
        using (no_grad())
        {
            long offset = 0;
            foreach (var (t, p) in twin.parameters().Zip(model.parameters()))
            {
                t.copy_(p + 0.5 * delta.narrow(0, offset, p.numel()).view_as(p));
                offset += p.numel();
            }
        }
        return twin;
    }

    private static ProbeOptions Options(TrainSettings s, Optimizer optimizer) => new()
    {
        LearningRate = s.Lr, K = 2, Tolerance = 1e-12, HessianTolerance = 1e-12, QTolerance = 1e-12, MaxIterations = 300,
        Kinds = ProbeKinds.Hessian | ProbeKinds.Midpoint, GradientDescent = s.Optimizer == "gd", Threshold = optimizer.Threshold,
    };

    /// <summary>(JᵀΛJ + Σ_α g_α ∇²f_α)/n from the dense Jacobian, the loss's output Hessian blocks and the dense Q_g.</summary>
    private static Matrix<double> DenseLossHessian(IDifferentiablePoint point)
    {
        var j = Matrix<double>.Build.DenseOfArray(TinyNetwork.Jacobian(point));
        var lambda = Matrix<double>.Build.Dense(j.RowCount, j.RowCount,
            (row, column) => point.LossCurvature(TinyNetwork.Basis(j.RowCount, column))[row].item<double>());
        var q = Matrix<double>.Build.DenseOfArray(TinyNetwork.OutputHessian(point, point.LossGradient));
        return (j.Transpose() * lambda * j + q) / point.SampleCount;
    }

    private static double[] Flat(Network model) => [.. model.parameters().SelectMany(p => p.data<double>().ToArray())];

    private static void Close(double actual, double expected, double relative, string what) =>
        Assert.True(Math.Abs(actual - expected) <= relative * Math.Max(Math.Abs(expected), 1e-300),
            $"{what}: {actual:R} against {expected:R}");
}
