using Probes.Models;
using Probes.Probing;
using Xunit;
using static TorchSharp.torch;

namespace Probes.Tests;

/// <summary>
/// A probe cancelled at any product (a stop signal through <see cref="CancellablePoint"/>) leaves the suite
/// exactly as before it: its exported state is unchanged, and the same step probed again gives the record of a
/// suite that was never interrupted.
/// </summary>
public class ProbeCancellationTests
{
    private static ProbeSuite Suite() =>
        new(new ProbeOptions
        {
            LearningRate = 0.5, K = 2, Tolerance = 1e-10, HessianTolerance = 1e-10,
            QTolerance = 1e-10, MaxIterations = 200, SpectrumSize = 2, QEvery = 2, Deflation = 3,
        });

    /// <summary>Counts the products and cancels at the k-th.</summary>
    private sealed class CancelAt(IDifferentiablePoint inner, int k, CancellationTokenSource source) : IDifferentiablePoint
    {
        private int _calls;
        private IDifferentiablePoint Inner => new CancellablePoint(inner, source.Token);
        public int Calls => _calls;
        private T Count<T>(Func<T> f) { if (++_calls == k) source.Cancel(); return f(); }
        public long OutputSize => inner.OutputSize;
        public long ParameterSize => inner.ParameterSize;
        public int SampleCount => inner.SampleCount;
        public Device Device => inner.Device;
        public Tensor Residual => inner.Residual;
        public Tensor JacobianTransposed(Tensor u) => Count(() => Inner.JacobianTransposed(u));
        public Tensor Jacobian(Tensor w) => Count(() => Inner.Jacobian(w));
        public Tensor OutputHessian(Tensor u, Tensor w) => Count(() => Inner.OutputHessian(u, w));
        public Tensor ResidualAt(Tensor delta) => Count(() => Inner.ResidualAt(delta));
        public double OutputHessianForm(Tensor u, Tensor w) => Count(() => Inner.OutputHessianForm(u, w));
        public Tensor Ntk(Tensor u) => Count(() => Inner.Ntk(u));
        public Tensor LossHessian(Tensor w) => Count(() => Inner.LossHessian(w));
        public void Dispose() { }
    }

    private static void SameState(ProbeState expected, ProbeState actual, string what)
    {
        Assert.Equal(expected.LastSharpness, actual.LastSharpness);
        Assert.Equal(expected.Vectors.Keys.Order(), actual.Vectors.Keys.Order());
        foreach (var (key, rows) in expected.Vectors)
            Assert.True(rows.Length == actual.Vectors[key].Length && rows.Zip(actual.Vectors[key]).All(p => p.First.SequenceEqual(p.Second)),
                $"{what}: state entry {key} changed");
    }

    [Fact]
    public void ACancelledProbeLeavesTheSuiteAsBeforeAtEveryProduct()
    {
        using var net = new TinyNetwork(n: 4);
        using var uninterrupted = Suite();
        using var suite = Suite();
        // Step 1 estimates both deflation spaces, step 4 runs Q and both deflated solves: cancelled at every product.
        for (int step = 0; step <= 4; step++)
        {
            using var point = net.Fast();
            using var never = new CancellationTokenSource();
            var counting = new CancelAt(point, int.MaxValue, never);
            var expected = uninterrupted.Run(counting, step, spectra: step == 4);
            if (step is 1 or 4)
            {
                int products = counting.Calls;
                Assert.True(products > 20, $"step {step}: the probe took only {products} products");
                var before = suite.Export();
                for (int k = 1; k <= products; k++)
                {
                    using var source = new CancellationTokenSource();
                    Assert.Throws<OperationCanceledException>(() => suite.Run(new CancelAt(point, k, source), step, spectra: step == 4));
                    SameState(before, suite.Export(), $"step {step}, cancelled at product {k} of {products}");
                }
            }
            var again = suite.Run(point, step, spectra: step == 4);
            SameState(uninterrupted.Export(), suite.Export(), $"step {step}, after the probe ran to the end");
            foreach (var (column, value) in expected.Values.Where(p => p.Key != "probe_seconds"))
                Assert.True(value.Equals(again[column]), $"step {step}, {column}: {again[column]:R} after the cancellations, {value:R} without");
        }
        Assert.True(double.IsFinite(uninterrupted.Export().LastSharpness ?? double.NaN));
    }
}

/// <summary>
/// <see cref="CancellablePoint"/> forwards every member of the point interface, defaults included: an inherited default would
/// silently replace the wrapped point's own (a cross-entropy point's g and Λ, its third-order product).
/// </summary>
public class CancellablePointForwardingTests
{
    [Fact]
    public void EveryInterfaceMemberIsImplementedByTheWrapperItself()
    {
        var map = typeof(CancellablePoint).GetInterfaceMap(typeof(IDifferentiablePoint));
        var inherited = map.TargetMethods.Where(m => m.DeclaringType != typeof(CancellablePoint)).Select(m => m.Name).ToList();
        Assert.True(inherited.Count == 0, $"CancellablePoint inherits the interface's defaults for {string.Join(", ", inherited)}");
    }

    [Fact]
    public void ACrossEntropyPointWrappedGivesItsOwnGradientCurvatureAndThirdOrder()
    {
        using var net = new TinyNetwork(n: 4);
        var y = TorchSharp.torch.nn.functional.one_hot(net.Y.argmax(1), 3).to(float64);
        using var inner = new Training.Model.MlpPoint(net.Model, net.X, y, loss: ILoss.Named["ce"]);
        using var wrapped = new CancellablePoint(inner, CancellationToken.None);
        var v = randn([inner.OutputSize], float64, generator: new TorchSharp.torch.Generator(1));
        var w = randn([inner.ParameterSize], float64, generator: new TorchSharp.torch.Generator(2));
        Assert.Equal(inner.LossGradient.data<double>().ToArray(), ((IDifferentiablePoint)wrapped).LossGradient.data<double>().ToArray());
        Assert.Equal(inner.LossCurvature(v).data<double>().ToArray(), ((IDifferentiablePoint)wrapped).LossCurvature(v).data<double>().ToArray());
        IDifferentiablePoint outer = wrapped;
        Assert.Equal(inner.LossThirdOrder(w, w).data<double>().ToArray(), outer.LossThirdOrder(w, w).data<double>().ToArray());
        Assert.NotEqual(inner.Residual.data<double>().ToArray(), inner.LossGradient.data<double>().ToArray());
    }
}
