using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;
using Probes.Flows;
using Xunit;
using static TorchSharp.torch;

namespace Probes.Tests;

/// <summary>
/// The central flow's velocity on the tiny float64 network against dense Hessians: after an Euler substep the critical
/// eigenvalues, differentiated by central differences of the dense projected Hessian, sit at 2/η exactly where X holds them
/// and below it elsewhere; with one eigenvalue at the edge X is self-stabilization's δ².
/// </summary>
public class CentralFlowTests
{
    private static Matrix<double> DenseHessian(TinyNetwork net)
    {
        using var point = net.Fast();
        int p = (int)point.ParameterSize;
        var h = Matrix<double>.Build.Dense(p, p);
        for (int i = 0; i < p; i++)
        {
            using var column = point.LossHessian(TinyNetwork.Basis(p, i));
            h.SetColumn(i, column.data<double>().ToArray());
        }
        return (h + h.Transpose()) / 2;
    }

    private static (double Value, Tensor Vector)[] Top(Matrix<double> h, int count)
    {
        var evd = h.Evd(Symmetricity.Symmetric);
        var order = Enumerable.Range(0, h.RowCount).OrderByDescending(i => evd.EigenValues[i].Real).Take(count);
        return [.. order.Select(i => (evd.EigenValues[i].Real, tensor(evd.EigenVectors.Column(i).ToArray(), float64)))];
    }

    /// <summary>d/dε Uᵀ H(θ + ε w) U at ε = 0 by Richardson-extrapolated central differences of dense Hessians.</summary>
    private static Matrix<double> ProjectedDerivative(TinyNetwork net, Tensor w, Matrix<double> u)
    {
        Matrix<double> At(double h)
        {
            DifferentiablePointTests.Shift(net.Model, w * h);
            var m = u.Transpose() * DenseHessian(net) * u;
            DifferentiablePointTests.Shift(net.Model, w * -h);
            return m;
        }
        Matrix<double> Central(double h) => (At(h) - At(-h)) / (2 * h);
        return (4 * Central(5e-4) - Central(1e-3)) / 3;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void AfterASubstepTheCriticalEigenvaluesAreHeldAtTwoOverEtaToFirstOrder(int critical)
    {
        using var net = new TinyNetwork(n: 6);
        var top = Top(DenseHessian(net), critical);
        // λ₁ 5% above the edge, far enough that the substep's drift dt·η·∇S·(−∇L) cannot carry it back by itself; the others
        // critical by the level below.
        double eta = 2.1 / top[0].Value, dt = 0.05;
        double level = eta * top[^1].Value * 0.999;
        using var point = net.Fast();
        using var velocity = CentralFlow.At(point, top, eta, dt, level);
        Assert.Equal(critical, velocity.Critical);
        var u = Matrix<double>.Build.DenseOfColumnArrays(top.Select(p => p.Vector.data<double>().ToArray()));
        var next = Matrix<double>.Build.DenseOfDiagonalArray([.. top.Select(p => p.Value)]) + dt * ProjectedDerivative(net, velocity.Theta, u);
        var residual = 2 / eta * Matrix<double>.Build.DenseIdentity(critical) - next;
        double scale = 2 / eta;
        var rEigen = residual.Evd(Symmetricity.Symmetric).EigenValues.Select(e => e.Real).ToArray();
        Assert.True(velocity.XEigenvalues[0] > 0, "λ₁ above the edge: X holds it");
        Assert.True(velocity.XEigenvalues.Min() >= -1e-12 * velocity.XEigenvalues[0], "X ⪰ 0");
        Assert.True(rEigen.Min() >= -1e-7 * scale, $"η·λ ≤ 2 on the span after the substep (min of 2/η − λ: {rEigen.Min():G3})");
        double complementarity = velocity.X.PointwiseMultiply(residual).Enumerate().Sum();
        Assert.True(Math.Abs(complementarity) <= 1e-7 * scale * velocity.X.FrobeniusNorm(), $"⟨X, 2/η − λ⟩ = {complementarity:G3}");
    }

    [Fact]
    public void WithOneEigenvalueAtTheEdgeXIsSelfStabilizationsDeltaSquared()
    {
        using var net = new TinyNetwork(n: 6);
        var top = Top(DenseHessian(net), 1);
        double eta = 2 / top[0].Value;
        using var point = net.Fast();
        using var gradS = point.LossThirdOrder(top[0].Vector, top[0].Vector);
        using var minusGradient = point.JacobianTransposed(point.LossGradient).div_(-point.SampleCount);
        double delta2 = 2 * minusGradient.dot(gradS).item<double>() / gradS.dot(gradS).item<double>();
        foreach (double dt in new[] { 0.25, 0.01 })
        {
            using var velocity = CentralFlow.At(point, top, eta, dt);
            double x = velocity.X[0, 0];
            Assert.True(Math.Abs(x - Math.Max(0, delta2)) <= 1e-12 * Math.Abs(delta2), $"X = {x:R}, δ² = {delta2:R}");
            using var expected = minusGradient * eta - gradS * (eta / 2 * x);
            Assert.True((velocity.Theta - expected).norm().item<double>() <= 1e-13 * expected.norm().item<double>(), "θ̇ = −η(∇L + ½X∇S)");
        }
    }

    [Fact]
    public void AHeldSpanCarriesTheHessianOnItToFirstOrder()
    {
        using var net = new TinyNetwork(n: 6);
        var top = Top(DenseHessian(net), 2);
        double eta = 2 / top[0].Value;
        var u = Matrix<double>.Build.DenseOfColumnArrays(top.Select(p => p.Vector.data<double>().ToArray()));
        var m0 = u.Transpose() * DenseHessian(net) * u;
        using var w = randn([ParameterCount(net)], float64, generator: new Generator(3));
        w.div_(w.norm());
        var derivative = ProjectedDerivative(net, w, u);
        // The error against the exact UᵀH(θ + h·w)U after the move, for two step lengths.
        double Error(double h)
        {
            using var point = net.Fast();
            using var span = CentralFlow.Critical(point, top, eta, critical: eta * top[1].Value * 0.999);
            Assert.Equal(2, span.Count);
            using var half = w * (h / 2);
            span.Advance(half);
            span.Advance(half);                                 // two moves add
            var first = m0 + h * derivative;
            Assert.True((span.Projected - first).FrobeniusNorm() <= 1e-8 * h * derivative.FrobeniusNorm(),
                $"h = {h}: carried {span.Projected}, M + h·dM/dε {first}");
            DifferentiablePointTests.Shift(net.Model, w * h);
            var exact = u.Transpose() * DenseHessian(net) * u;
            DifferentiablePointTests.Shift(net.Model, w * -h);
            return (span.Projected - exact).FrobeniusNorm();
        }
        double coarse = Error(0.02), fine = Error(0.01);
        Assert.True(coarse > 0 && fine > 0 && coarse / fine is > 3.5 and < 4.5, $"second-order error: {coarse:G3} at h, {fine:G3} at h/2");
        Assert.True(coarse < 0.01 * 0.02 * derivative.FrobeniusNorm(), $"the carried error {coarse:G3} is far below the move's first order");
    }

    private static long ParameterCount(TinyNetwork net)
    {
        using var point = net.Fast();
        return point.ParameterSize;
    }

    [Fact]
    public void BelowTheCriticalLevelItIsGradientFlow()
    {
        using var net = new TinyNetwork(n: 6);
        var top = Top(DenseHessian(net), 2);
        double eta = 1.5 / top[0].Value;
        using var point = net.Fast();
        using var velocity = CentralFlow.At(point, top, eta, 0.25);
        using var flow = point.JacobianTransposed(point.LossGradient).mul_(-eta / point.SampleCount);
        Assert.Equal(0, velocity.Critical);
        Assert.True((velocity.Theta - flow).norm().item<double>() <= 1e-15 * flow.norm().item<double>(), "θ̇ = −η∇L");
    }
}
