using Training.Config;
using Training.Model;
using Training.Optimizers;
using Training.Train;
using Xunit;
using static TorchSharp.torch;

namespace Probes.Tests;

/// <summary>
/// Each optimizer against its update rule written out in float64 arrays exactly as PyTorch's torch.optim applies it
/// (SGD with momentum and Nesterov, RMSprop, Adam with bias correction), over 20 full-batch steps of a small tanh network;
/// and the stability thresholds of every optimizer on a quadratic (RMSProp's and Adam's with the preconditioner frozen),
/// just below and just above; and the preconditioner the probes read.
/// </summary>
public class OptimizerTests
{
    internal static TrainSettings Settings(string optimizer, double lr = 0.05) => new()
    {
        Optimizer = optimizer, Lr = lr, Width = 6, Depth = 1, Dtype = "float64", Momentum = 0.7, Beta1 = 0.85, Beta2 = 0.95, Eps = 1e-3,
    };

    /// <summary>A small regression problem: 5 random inputs of CIFAR's size, random targets.</summary>
    internal static (Tensor X, Tensor Y, Tensor Labels) Data()
    {
        var g = new Generator(3);
        var x = randn([5, 3072], float64, generator: g) * 0.05;
        var y = randn([5, 10], float64, generator: g);
        return (x, y, y.argmax(1));
    }

    [Theory]
    [InlineData("gd")]
    [InlineData("momentum")]
    [InlineData("nesterov")]
    [InlineData("rmsprop")]
    [InlineData("adam")]
    public void TwentyStepsEqualPyTorchsUpdateRuleWrittenOut(string name)
    {
        var s = Settings(name);
        var (x, y, labels) = Data();
        using var model = Trainer.Build(s, ScalarType.Float64, CPU);
        using var reference = Trainer.Build(s, ScalarType.Float64, CPU);
        var optimizer = Optimizer.For(s);
        var theta = reference.parameters().Select(p => p.data<double>().ToArray()).ToArray();
        var initial = theta.SelectMany(t => t).ToArray();
        var buf = theta.Select(t => new double[t.Length]).ToArray();
        var m = theta.Select(t => new double[t.Length]).ToArray();
        var v = theta.Select(t => new double[t.Length]).ToArray();
        for (int step = 1; step <= 20; step++)
        {
            GradientDescent.Gradient(model, x, y, labels);
            optimizer.Step(model);
            GradientDescent.Gradient(reference, x, y, labels);
            var grads = reference.parameters().Select(p => p.grad!.data<double>().ToArray()).ToArray();
            for (int i = 0; i < theta.Length; i++)
                for (int j = 0; j < theta[i].Length; j++)
                {
                    double g = grads[i][j];
                    switch (name)
                    {
                        case "gd": theta[i][j] -= s.Lr * g; break;
                        case "momentum" or "nesterov":
                            buf[i][j] = step == 1 ? g : s.Momentum * buf[i][j] + g;
                            theta[i][j] -= s.Lr * (name == "nesterov" ? g + s.Momentum * buf[i][j] : buf[i][j]);
                            break;
                        case "rmsprop":
                            v[i][j] = s.Beta2!.Value * v[i][j] + (1 - s.Beta2.Value) * g * g;
                            theta[i][j] -= s.Lr * g / (Math.Sqrt(v[i][j]) + s.Eps);
                            break;
                        case "adam":
                            m[i][j] = s.Beta1 * m[i][j] + (1 - s.Beta1) * g;
                            v[i][j] = s.Beta2!.Value * v[i][j] + (1 - s.Beta2.Value) * g * g;
                            double mHat = m[i][j] / (1 - Math.Pow(s.Beta1, step)), vHat = v[i][j] / (1 - Math.Pow(s.Beta2.Value, step));
                            theta[i][j] -= s.Lr * mHat / (Math.Sqrt(vHat) + s.Eps);
                            break;
                    }
                }
            using (no_grad())
                foreach (var (p, t) in reference.parameters().Zip(theta)) p.copy_(tensor(t, float64).reshape(p.shape));
        }
        var ours = model.parameters().SelectMany(p => p.data<double>().ToArray()).ToArray();
        var written = theta.SelectMany(t => t).ToArray();
        double scale = written.Max(Math.Abs), gap = ours.Zip(written).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(gap <= 1e-12 * scale, $"{name}: largest difference {gap:E3} against |θ| {scale:E3}");
        double moved = ours.Zip(initial).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(moved > 1e-4 * scale, $"{name}: θ moved only {moved:E3}, so the comparison says little");
    }

    /// <summary>
    /// A linear model on one input is a quadratic whose Hessian's top eigenvalue is ‖x‖² + 1 (the bias); with η set so that
    /// it sits 3% below or above the optimizer's threshold, the loss stays bounded or blows up.
    /// </summary>
    [Theory]
    [InlineData("gd")]
    [InlineData("momentum")]
    [InlineData("nesterov")]
    public void OnAQuadraticTheIterationIsBoundedBelowTheThresholdAndDivergesAbove(string name)
    {
        var x = full([1, 3072], 0.02, float64);
        double lambda = x.pow(2).sum().item<double>() + 1;                     // ‖x‖² + 1 = 2.2288
        var y = zeros([1, 10], float64);
        var labels = zeros([1], int64);
        foreach (var (factor, diverges) in new[] { (0.97, false), (1.03, true) })
        {
            var s = Settings(name) with { Depth = 0, Lr = 1 };
            double lr = factor * Optimizer.For(s).Threshold / lambda;        // the threshold scales as 1/η: λ = factor·T(η)
            s = s with { Lr = lr };
            using var model = Trainer.Build(s, ScalarType.Float64, CPU);
            var optimizer = Optimizer.For(s);
            Assert.Equal(factor, lambda / optimizer.Threshold, 12);
            double first = GradientDescent.Gradient(model, x, y, labels).Loss, last = first;
            for (int t = 0; t < 3000 && double.IsFinite(last) && last < 1e6 * first; t++)
            {
                optimizer.Step(model);
                last = GradientDescent.Gradient(model, x, y, labels).Loss;
            }
            Assert.True(diverges ? !(last < 1e3 * first) : last < first, $"{name} at {factor}·threshold: loss {first:E3} → {last:E3}");
        }
    }

    /// <summary>
    /// RMSProp and Adam with their preconditioner frozen (P fixed, as the threshold's derivation assumes) on a quadratic of
    /// curvature λ: x ← x − η·m̂/P with m̂ the bias-corrected average of λx (Adam) or m̂ = λx (RMSProp). With λ/P set 3% below or
    /// above the optimizer's threshold, the iteration stays bounded or blows up.
    /// </summary>
    [Theory]
    [InlineData("rmsprop")]
    [InlineData("adam")]
    public void WithThePreconditionerFrozenTheIterationIsBoundedBelowTheThresholdAndDivergesAbove(string name)
    {
        var s = Settings(name);
        double threshold = Optimizer.For(s).Threshold, p = 0.37;
        foreach (var (factor, diverges) in new[] { (0.97, false), (1.03, true) })
        {
            // Adam's bias correction kicks the first steps far past the threshold (m̂₁ = g), so compare envelopes late on.
            double lambda = factor * threshold * p, x = 1, m = 0, earlier = 0, later = 0;
            for (int t = 1; t <= 600; t++)
            {
                double g = lambda * x;
                double step = name == "adam" ? (m = s.Beta1 * m + (1 - s.Beta1) * g) / (1 - Math.Pow(s.Beta1, t)) : g;
                x -= s.Lr * step / p;
                if (t > 400) (earlier, later) = t <= 500 ? (Math.Max(earlier, Math.Abs(x)), later) : (earlier, Math.Max(later, Math.Abs(x)));
            }
            Assert.True(double.IsFinite(later) && (diverges ? later > 10 * earlier : later < 0.1 * earlier),
                $"{name} at {factor}·threshold: largest |x| over steps 401–500 {earlier:E3}, over 501–600 {later:E3}");
        }
    }

    /// <summary>The preconditioner the probes read at θₜ is the one the step from θₜ divides by: Δθ = −η·g/P (RMSProp), −η·m̂/P (Adam).</summary>
    [Theory]
    [InlineData("rmsprop")]
    [InlineData("adam")]
    public void ThePreconditionerIsTheOneTheNextStepDividesBy(string name)
    {
        var s = Settings(name);
        var (x, y, labels) = Data();
        using var model = Trainer.Build(s, ScalarType.Float64, CPU);
        var optimizer = Optimizer.For(s);
        Assert.Null(Optimizer.For(Settings("momentum")).Preconditioner(model));
        for (int step = 1; step <= 4; step++)
        {
            GradientDescent.Gradient(model, x, y, labels);
            using var preconditioner = optimizer.Preconditioner(model)!;
            var before = Flat(model);
            var gradient = cat(model.parameters().Select(q => q.grad!.flatten()).ToArray());
            optimizer.Step(model);
            var moved = Flat(model) - before;
            var direction = name == "adam"
                ? tensor(optimizer.Export()["exp_avg"].SelectMany(v => v).ToArray(), float64) / (1 - Math.Pow(s.Beta1, step))
                : gradient;
            var expected = direction.div(preconditioner).mul(-s.Lr);
            double gap = (moved - expected).abs().max().item<double>(), scale = expected.abs().max().item<double>();
            Assert.True(gap <= 1e-12 * scale, $"{name} step {step}: Δθ differs from −η·d/P by {gap:E3} (|Δθ| {scale:E3})");
        }
    }

    private static Tensor Flat(Network model) => cat(model.parameters().Select(q => q.detach().flatten().clone()).ToArray());
}

/// <summary>A momentum or Adam run stopped and resumed equals the same run straight through: the checkpoint keeps the buffers.</summary>
public class OptimizerResumeTests
{
    [Theory]
    [InlineData("momentum")]
    [InlineData("adam")]
    public void AResumedRunEqualsAnUninterruptedOneBitForBit(string optimizer)
    {
        using var cifar = new SyntheticCifar(train: 16, test: 0);
        using var dir = new TempDirectory();
        string[] Args(string run, int steps) => ["train", "--data", cifar.Folder, "--n", "8", "--n-test", "0", "--width", "8", "--steps",
            steps.ToString(System.Globalization.CultureInfo.InvariantCulture), "--optimizer", optimizer, "--lr", "0.01", "--probe-every", "0",
            "--threads", "1", "--out", run];
        Assert.Equal(0, CommandLineTests.Probes(Args(dir.Combine("straight"), 12)).Exit);
        Assert.Equal(0, CommandLineTests.Probes(Args(dir.Combine("resumed"), 6)).Exit);
        Assert.Single(Directory.GetFiles(dir.Combine("resumed"), "optimizer-*.bin"));
        var (exit, _, err) = CommandLineTests.Probes("train", "--resume", dir.Combine("resumed"), "--steps", "12");
        Assert.True(exit == 0, err);
        string[] Trace(string run) => [.. File.ReadAllLines(Path.Combine(run, "train.csv")).Select(l => l[..l.LastIndexOf(',')])];
        Assert.Equal(Trace(dir.Combine("straight")), Trace(dir.Combine("resumed")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir.Combine("straight"), "weights.safetensors")),
            File.ReadAllBytes(Path.Combine(dir.Combine("resumed"), "weights.safetensors")));

        // A damaged optimizer file is refused with one line before anything is cut, like a damaged model or probe state.
        var state = Directory.GetFiles(dir.Combine("straight"), "optimizer-*.bin").Single();
        var bytes = File.ReadAllBytes(state);
        bytes[bytes.Length / 2] ^= 0x5a;
        File.WriteAllBytes(state, bytes);
        var before = Directory.GetFiles(dir.Combine("straight")).ToDictionary(f => f, File.ReadAllBytes);
        (exit, _, err) = CommandLineTests.Probes("train", "--resume", dir.Combine("straight"), "--steps", "14");
        Assert.Equal(2, exit);
        Assert.Contains("is damaged", err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.All(before, f => Assert.Equal(f.Value, File.ReadAllBytes(f.Key)));
    }

    /// <summary>
    /// Probed every step, an Adam run on the cross-entropy with self-stabilization resumes to the same probes.csv (timings
    /// aside): the effective Hessian's warm starts and deflation space are in the probe state.
    /// </summary>
    [Fact]
    public void AProbedAdamRunOnTheCrossEntropyResumesToTheSameProbes()
    {
        using var cifar = new SyntheticCifar(train: 16, test: 0);
        using var dir = new TempDirectory();
        string[] Args(string run, int steps) => ["train", "--data", cifar.Folder, "--n", "8", "--n-test", "0", "--width", "8", "--steps",
            steps.ToString(System.Globalization.CultureInfo.InvariantCulture), "--optimizer", "adam", "--loss", "ce", "--lr", "0.05",
            "--probe-every", "1", "--probes", "ntk,hessian", "--threads", "1", "--out", run];
        Assert.Equal(0, CommandLineTests.Probes(Args(dir.Combine("straight"), 10)).Exit);
        Assert.Equal(0, CommandLineTests.Probes(Args(dir.Combine("resumed"), 5)).Exit);
        var (exit, _, err) = CommandLineTests.Probes("train", "--resume", dir.Combine("resumed"), "--steps", "10");
        Assert.True(exit == 0, err);
        string[] Probes(string run)
        {
            var lines = File.ReadAllLines(Path.Combine(run, "probes.csv"));
            var header = lines[0].Split(',');
            var keep = Enumerable.Range(0, header.Length).Where(i => !header[i].EndsWith("seconds", StringComparison.Ordinal)).ToArray();
            return [.. lines.Select(l => string.Join(',', keep.Select(i => l.Split(',')[i])))];
        }
        var straight = Probes(dir.Combine("straight"));
        Assert.Equal(straight, Probes(dir.Combine("resumed")));
        Assert.Contains("eff_hess_1", straight[0]);
        Assert.True(straight.Skip(1).All(l => l.Split(',').Length == straight[0].Split(',').Length) && straight.Length == 12);
    }
}
