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
