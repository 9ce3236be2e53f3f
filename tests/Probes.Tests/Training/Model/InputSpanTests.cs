using MathNet.Numerics.LinearAlgebra;
using Probes.Models;
using Probes.Probing;
using Training.Model;
using Xunit;
using static Probes.Tests.Numerics;
using static TorchSharp.torch;

namespace Probes.Tests;

/// <summary>
/// The first layer taken in the span of the inputs (n &lt; d): the same operators on the reduced coordinates,
/// checked against the full point's dense matrices in float64.
/// </summary>
public class InputSpanTests
{
    private const int N = 3, Inputs = 8;

    private static Matrix<double> Dense(double[,] a) => Matrix<double>.Build.DenseOfArray(a);

    private static double[] Sorted(Matrix<double> m) =>
        [.. m.Evd(Symmetricity.Symmetric).EigenValues.Select(c => c.Real).Order()];

    /// <summary>The reduced spectrum plus the dropped directions' zeros, against the full spectrum.</summary>
    private static void SameSpectrum(Matrix<double> full, Matrix<double> reduced, long dropped, string what)
    {
        var expected = Sorted(full);
        var actual = Sorted(reduced).Concat(Enumerable.Repeat(0.0, (int)dropped)).Order().ToArray();
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-10 * scale, $"{what} eigenvalue {i}: {actual[i]:R} vs {expected[i]:R}");
    }

    [Fact]
    public void DisplacingTheNetworkByAReducedVectorMovesItWhereResidualAtSays()
    {
        // The flows move θ by vectors in the point's coordinates: W₁'s rows in the inputs' span are expanded by Uᵀ, and the
        // network then has the residual a displaced forward pass predicts; in full coordinates too.
        using var net = new TinyNetwork(n: N, inputs: Inputs);
        using var span = InputSpan.Of(net.X)!;
        foreach (var reduced in new[] { true, false })
        {
            using var point = new MlpPoint(net.Model, net.X, net.Y, reduced ? span : null);
            using var delta = randn([point.ParameterSize], float64, generator: new Generator(7)) * 0.1;
            using var expected = point.ResidualAt(delta);
            var before = net.Model.parameters().Select(p => p.detach().clone()).ToList();
            point.Displace(net.Model, delta);
            using (var moved = new MlpPoint(net.Model, net.X, net.Y))
                Close(moved.Residual, expected, 1e-13, reduced ? "displaced in the span" : "displaced in full coordinates");
            using (no_grad())
                foreach (var (p, old) in net.Model.parameters().Zip(before)) p.copy_(old);
            before.ForEach(t => t.Dispose());
        }
    }

    [Fact]
    public void SpanIsOrthonormalAndReproducesTheFirstLayer()
    {
        using var net = new TinyNetwork(n: N, inputs: Inputs);
        using var span = InputSpan.Of(net.X)!;
        Assert.Equal([Inputs, N], span.Basis.shape);
        Close(span.Basis.t().matmul(span.Basis), eye(N, dtype: float64), 1e-14, "UᵀU = I");
        var w = net.Model.Layers.First().Weight;
        Close(span.ReducedInputs.matmul(w.matmul(span.Basis).t()), net.X.matmul(w.t()), 1e-13, "(XU)(WU)ᵀ = XWᵀ");
        Assert.Null(InputSpan.Of(randn([Inputs, Inputs], float64)));            // n ≥ d: nothing to gain
    }

    [Fact]
    public void ReducedOperatorsHaveTheFullSpectraPlusZeros()
    {
        using var net = new TinyNetwork(n: N, inputs: Inputs);
        using var span = InputSpan.Of(net.X)!;
        using var full = net.Fast();
        using var reduced = new MlpPoint(net.Model, net.X, net.Y, span);
        int width = (int)net.Model.Layers.First().Weight.shape[0];
        Assert.Equal(width * (Inputs - N), reduced.DroppedDirections);
        Assert.Equal(full.ParameterSize - reduced.DroppedDirections, reduced.ParameterSize);
        Close(reduced.Residual, full.Residual, 0, "z");

        var j = Dense(TinyNetwork.Jacobian(full));
        var jr = Dense(TinyNetwork.Jacobian(reduced));
        Assert.True((j * j.Transpose() - jr * jr.Transpose()).FrobeniusNorm() <= 1e-12 * (j * j.Transpose()).FrobeniusNorm(), "J Jᵀ");

        var u = randn([full.OutputSize], float64, generator: new TorchSharp.torch.Generator(3));
        SameSpectrum(Dense(TinyNetwork.OutputHessian(full, u)), Dense(TinyNetwork.OutputHessian(reduced, u)),
            reduced.DroppedDirections, "Q_u");
        SameSpectrum(Dense(LossHessian(full)), Dense(LossHessian(reduced)), reduced.DroppedDirections, "H");
    }

    [Fact]
    public void TheThirdOrderProductInReducedCoordinatesIsTheFullOneProjected()
    {
        using var net = new TinyNetwork(n: N, inputs: Inputs);
        using var span = InputSpan.Of(net.X)!;
        using var full = net.Fast();
        using var reduced = new MlpPoint(net.Model, net.X, net.Y, span);
        var w = net.Model.Layers.First().Weight;
        long reducedFirst = w.shape[0] * N, fullFirst = w.numel();
        // u, v in reduced coordinates, lifted: the first layer's A (width × r) becomes A Uᵀ (width × d), the rest is the same.
        Tensor Lift(Tensor x) => cat([x.narrow(0, 0, reducedFirst).view(w.shape[0], N).matmul(span.Basis.t()).flatten(),
            x.narrow(0, reducedFirst, x.numel() - reducedFirst)]);
        var u = randn([reduced.ParameterSize], float64, generator: new TorchSharp.torch.Generator(3));
        var v = randn([reduced.ParameterSize], float64, generator: new TorchSharp.torch.Generator(4));
        var g = full.LossThirdOrder(Lift(u), Lift(v));
        // The gradient in reduced coordinates is the full one's first layer times U, the rest the same.
        var projected = cat([g.narrow(0, 0, fullFirst).view(w.shape).matmul(span.Basis).flatten(), g.narrow(0, fullFirst, g.numel() - fullFirst)]);
        Close(reduced.LossThirdOrder(u, v), projected, 1e-10, "∇³L[u, v] reduced = the full one projected");
    }

    [Fact]
    public void DisplacedForwardPassExpandsTheReducedStep()
    {
        using var net = new TinyNetwork(n: N, inputs: Inputs);
        using var span = InputSpan.Of(net.X)!;
        using var full = net.Fast();
        using var reduced = new MlpPoint(net.Model, net.X, net.Y, span);
        // The GD step in both coordinates: Jᵀz reduced, and expanded by U back to width × d.
        var step = reduced.JacobianTransposed(reduced.Residual).mul_(-0.3);
        var fullStep = full.JacobianTransposed(full.Residual).mul_(-0.3);
        var w = net.Model.Layers.First().Weight;
        long reducedFirst = w.shape[0] * N, fullFirst = w.numel();
        var expanded = step.narrow(0, 0, reducedFirst).view(w.shape[0], N).matmul(span.Basis.t()).flatten();
        Close(expanded, fullStep.narrow(0, 0, fullFirst), 1e-13, "Jᵀz first layer = (Jᵀz)_reduced Uᵀ");
        Close(reduced.ResidualAt(step), full.ResidualAt(fullStep), 1e-13, "z(θ + δ)");
    }

    [Fact]
    public void ProbesAgreeOnBothCoordinates()
    {
        using var net = new TinyNetwork(n: N, inputs: Inputs);
        using var span = InputSpan.Of(net.X)!;
        var options = new ProbeOptions
        {
            LearningRate = 0.5, K = 2, Tolerance = 1e-12, HessianTolerance = 1e-12,
            QTolerance = 1e-12, MaxIterations = 300, SpectrumSize = 3, QEvery = 1,
        };
        using var fullSuite = new ProbeSuite(options);
        using var reducedSuite = new ProbeSuite(options);
        using var full = net.Fast();
        using var reduced = new MlpPoint(net.Model, net.X, net.Y, span);
        var a = fullSuite.Run(full, 0, spectra: true);
        var b = reducedSuite.Run(reduced, 0, spectra: true);
        foreach (var column in new[] { "ntk_1", "ntk_2", "z1", "hess_1", "hess_2", "q1_max", "q1_min", "qr_max", "qr_min",
                                       "z1_nl", "z1_nl_full", "dz1_next" })
            Close(b[column], a[column], 1e-8, column);
        Assert.Equal(a.Spectra.Count, b.Spectra.Count);
        for (int i = 0; i < a.Spectra.Count; i++)
            Assert.True(Math.Abs(a.Spectra[i].Value - b.Spectra[i].Value) <= 1e-8 * Math.Max(1, Math.Abs(a.Spectra[i].Value)),
                $"{a.Spectra[i]} vs {b.Spectra[i]}");
    }

    [Fact]
    public void DroppedZerosJoinTheSpectrumEnds()
    {
        Assert.Equal([3.0, 2.0, 0.0], DroppedZeros.Top([3, 2, -1], 5));
        Assert.Equal([3.0, 0.0, 0.0], DroppedZeros.Top([3, -1, -2], 2));
        Assert.Equal([-4.0, -1.0], DroppedZeros.Bottom([-4, -1], 7));
        Assert.Equal([0.0, 1.0], DroppedZeros.Bottom([1, 2], 1));
        Assert.Equal([1.0, 2.0], DroppedZeros.Bottom([1, 2], 0));
    }

    private static double[,] LossHessian(IDifferentiablePoint p)
    {
        var h = new double[p.ParameterSize, p.ParameterSize];
        for (int k = 0; k < p.ParameterSize; k++)
        {
            var column = p.LossHessian(TinyNetwork.Basis(p.ParameterSize, k)).data<double>().ToArray();
            for (int r = 0; r < column.Length; r++) h[r, k] = column[r];
        }
        return h;
    }
}
