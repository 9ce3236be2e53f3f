using MathNet.Numerics.LinearAlgebra;
using Probes.Probing;
using Training.Config;
using Training.Model;
using Training.Optimizers;
using Training.Train;
using Xunit;
using static TorchSharp.torch;

namespace Probes.Tests;

/// <summary>
/// Δz₁ over the optimizer's own step, for every optimizer: <see cref="Optimizer.NextStep(IReadOnlyList{Tensor})"/> is the step the
/// optimizer then takes, bit for bit, and leaves it as it was; dz1_lin, dz1_nl and dz1_next equal v₁·JΔθ, ½Δθᵀ Q₁ Δθ and the
/// realised change of v₁·z, from dense float64 matrices, in the inputs' span as the training loop probes.
/// </summary>
public class StepSplitTests
{
    private static TrainSettings Settings(string optimizer, double lr = 0.05) => OptimizerTests.Settings(optimizer, lr);

    private static (Tensor X, Tensor Y, Tensor Labels) Data() => OptimizerTests.Data();

    [Theory]
    [InlineData("gd")]
    [InlineData("momentum")]
    [InlineData("nesterov")]
    [InlineData("rmsprop")]
    [InlineData("adam")]
    public void NextStepIsTheStepTakenAndLeavesTheOptimizerAsItWas(string name)
    {
        var s = Settings(name);
        var (x, y, labels) = Data();
        using var probed = Trainer.Build(s, ScalarType.Float64, CPU);
        using var plain = Trainer.Build(s, ScalarType.Float64, CPU);
        var (a, b) = (Optimizer.For(s), Optimizer.For(s));
        for (int step = 0; step < 5; step++)
        {
            GradientDescent.Gradient(probed, x, y, labels);
            GradientDescent.Gradient(plain, x, y, labels);
            var before = Flat(probed);
            var predicted = a.NextStep(probed).data<double>().ToArray();
            Assert.Equal(before, Flat(probed));                       // θ untouched
            a.Step(probed);
            b.Step(plain);
            Assert.Equal(Flat(plain), Flat(probed));                  // the state untouched: the same trajectory, bit for bit
            var taken = Flat(probed).Zip(before, (after, was) => after - was).ToArray();
            Assert.Equal(taken, predicted);
        }
    }

    /// <summary>η small enough that Δθ is in Taylor's range (Adam's step is ~η per coordinate whatever the gradient).</summary>
    [Theory]
    [InlineData("momentum", 0.005)]
    [InlineData("nesterov", 0.005)]
    [InlineData("adam", 0.0002)]
    public void TheStepSplitIsTheTaylorExpansionOfTheOptimizersStepAlongV1(string name, double lr)
    {
        var s = Settings(name, lr);
        var (x, y, labels) = Data();
        using var model = (Mlp)Trainer.Build(s, ScalarType.Float64, CPU);
        var optimizer = Optimizer.For(s);
        for (int step = 0; step < 3; step++)         // a momentum buffer, moments
        {
            GradientDescent.Gradient(model, x, y, labels);
            optimizer.Step(model);
        }
        GradientDescent.Gradient(model, x, y, labels);
        // As the training loop probes: in the inputs' span, except under a diagonal preconditioner (Adam's step leaves the span).
        using var span = optimizer.Preconditioned ? null : InputSpan.Of(x)!;
        using var full = optimizer.NextStep(model);
        double[] delta, v1;
        double z1;
        ProbeRecord r;
        using (var point = new MlpPoint(model, x, y, span))
        {
            using var reduced = point.Coordinates(full);
            Assert.Equal(point.ParameterSize, reduced.numel());
            using var suite = new ProbeSuite(new ProbeOptions
            {
                LearningRate = s.Lr, K = 2, Tolerance = 1e-12, HessianTolerance = 1e-12, QTolerance = 1e-12, GradientDescent = false,
                Threshold = optimizer.Threshold,
            });
            r = suite.Run(point, 3, nextStep: reduced);
            var j = Matrix<double>.Build.DenseOfArray(TinyNetwork.Jacobian(point));
            var k = j * j.Transpose() / point.SampleCount;
            var evd = k.Evd(MathNet.Numerics.LinearAlgebra.Symmetricity.Symmetric);
            int top = Enumerable.Range(0, k.RowCount).MaxBy(i => evd.EigenValues[i].Real);
            v1 = evd.EigenVectors.Column(top).ToArray();
            if (v1.Zip(suite.NtkVectors[0].data<double>().ToArray(), (p, q) => p * q).Sum() < 0) v1 = [.. v1.Select(v => -v)];
            delta = reduced.data<double>().ToArray();
            var v = Vector<double>.Build.DenseOfArray(v1);
            var d = Vector<double>.Build.DenseOfArray(delta);
            z1 = v.DotProduct(Vector<double>.Build.DenseOfArray(point.Residual.data<double>().ToArray()));
            Close(r["dz1_lin"], v.DotProduct(j * d), 1e-9, "dz1_lin = v₁·JΔθ");
            // ½ΔθᵀQ₁Δθ: the dense Q₁ in the inputs' span; in full coordinates (P = 18,508) autograd's double backward instead.
            double form = span is not null
                ? d.DotProduct(Matrix<double>.Build.DenseOfArray(TinyNetwork.OutputHessian(point, tensor(v1, float64))) * d)
                : new Probes.Models.AutogradPoint(() => model.forward(x), [.. model.parameters()], y, 5)
                    .OutputHessian(tensor(v1, float64), reduced).dot(reduced).item<double>();
            Close(r["dz1_nl"], 0.5 * form, 1e-9, "dz1_nl = ½ΔθᵀQ₁Δθ");
            Close(r["z1"], z1, 1e-9, "z1");
            // Nothing is lost in the inputs' span: the reduced step expands back to the optimizer's own.
            Assert.True(full.norm().item<double>() > 0);
            Close(Math.Sqrt(delta.Sum(e => e * e)), full.norm().item<double>(), 1e-12, "‖Δθ‖ in the span");
        }
        foreach (var gdOnly in new[] { "y", "z1_lin", "z1_nl", "nl_ratio", "z1_nl_full" })
            Assert.True(double.IsNaN(r[gdOnly]), $"{gdOnly} is GD's and stays empty");
        optimizer.Step(model);
        using var moved = new MlpPoint(model, x, y, span);
        double realised = v1.Zip(moved.Residual.data<double>().ToArray(), (p, q) => p * q).Sum() - z1;
        Close(r["dz1_next"], realised, 1e-9, "dz1_next, the optimizer's real step");
        // Second order captures a momentum step: what is left is third order in Δθ. (Adam's step is ~η on every coordinate, a
        // direction along which ½ΔθᵀQ₁Δθ cancels on this random problem, so no such claim is made for it.)
        double third = Math.Abs(realised - r["dz1_lin"] - r["dz1_nl"]);
        if (!optimizer.Preconditioned)
            Assert.True(third < 0.2 * Math.Abs(r["dz1_nl"]), $"left after second order {third:E2}, second order {r["dz1_nl"]:E2}");
    }

    [Fact]
    public void UnderGradientDescentTheStepSplitIsThePapersFullResidualSplit()
    {
        var s = Settings("gd");
        var (x, y, labels) = Data();
        using var model = (Mlp)Trainer.Build(s, ScalarType.Float64, CPU);
        using var span = InputSpan.Of(x)!;
        using var point = new MlpPoint(model, x, y, span);
        using var suite = new ProbeSuite(new ProbeOptions
        {
            LearningRate = s.Lr, K = 2, Tolerance = 1e-12, HessianTolerance = 1e-12, QTolerance = 1e-12,
        });
        var r = suite.Run(point, 0);
        Assert.Equal(r["z1_nl_full"], r["dz1_nl"]);
        Close(r["dz1_lin"], r["z1_lin"], 1e-9, "v₁·JΔθ = −η·λ₁·z₁ for GD's step");
        // The step the suite derives is GD's own: the same split as from the optimizer's.
        GradientDescent.Gradient(model, x, y, labels);
        using var full = Optimizer.For(s).NextStep(model);
        using var again = new ProbeSuite(new ProbeOptions
        {
            LearningRate = s.Lr, K = 2, Tolerance = 1e-12, HessianTolerance = 1e-12, QTolerance = 1e-12,
        });
        var given = again.Run(point, 0, nextStep: point.Coordinates(full));
        foreach (var column in new[] { "dz1_lin", "dz1_nl", "dz1_next" })
            Close(given[column], r[column], 1e-9, column);
    }

    private static double[] Flat(Network model) => [.. model.parameters().SelectMany(p => p.data<double>().ToArray())];

    private static void Close(double actual, double expected, double relative, string what) =>
        Assert.True(Math.Abs(actual - expected) <= relative * Math.Max(Math.Abs(expected), 1e-300),
            $"{what}: {actual:R} against {expected:R}");
}
