using MathNet.Numerics.LinearAlgebra;
using Probes.Models;
using Probes.Probing;
using Training;
using Training.Config;
using Training.Model;
using Training.Train;
using Xunit;
using static TorchSharp.torch;

namespace Probes.Tests;

/// <summary>
/// The built-in convnet (--arch cnn): PyTorch's init under the same seed, its probes against dense float64 matrices built by
/// central differences (J from the forward pass alone, H and Q₁ from differences of gradients, ∇³L[u, u] from differences of
/// uᵀHu), and a run that trains, probes, exports under PyTorch's names and resumes to the same bytes.
/// </summary>
public class CnnTests
{
    /// <summary>
    /// Printed by tests/fixtures/cnn_init.py with Debian's PyTorch 1.13 (torch.manual_seed(0), then Cohen et al.'s convnet for
    /// cnn-relu): per state_dict key, the float64 sum of the values and the first value.
    /// </summary>
    private static readonly (string Key, long[] Shape, double Sum, double First)[] PyTorchInit =
    [
        ("0.weight", [32, 3, 3, 3], -0.07490452515048673, -0.0014408392598852515),
        ("0.bias", [32], 0.47228362737223506, 0.18943822383880615),
        ("3.weight", [32, 32, 3, 3], -0.46250541578410775, -0.05223679170012474),
        ("3.bias", [32], -0.22504249843768775, -0.02813396230340004),
        ("7.weight", [10, 2048], 3.7179732241761485, 0.011317882686853409),
        ("7.bias", [10], -0.02748514239647193, -8.620873995823786e-05),
    ];

    [Fact]
    public void InitialisationIsPyTorchsUnderTheSameSeed()
    {
        var settings = SettingsResolver.Resolve(null, new System.Text.Json.Nodes.JsonObject { ["arch"] = "cnn-relu" });
        Assert.Equal(("cnn", "relu", 32, 2), (settings.Arch, settings.Activation, settings.Width, settings.Depth));
        using var cnn = Trainer.Build(settings, ScalarType.Float32, CPU);
        Assert.Equal(PyTorchInit.Select(p => p.Key), cnn.PyTorchParameters.Select(p => p.Name));
        Assert.Equal(Architecture.ParameterCount(settings), cnn.ParameterCount);
        foreach (var ((key, shape, sum, first), (_, parameter)) in PyTorchInit.Zip(cnn.PyTorchParameters))
        {
            Assert.Equal(shape, parameter.shape);
            var values = parameter.detach().to(float64);
            Assert.Equal(first, values.flatten()[0].item<double>());
            Assert.True(Math.Abs(values.sum().item<double>() - sum) <= 1e-12 * Math.Max(1, Math.Abs(sum)), $"{key}: sum differs");
        }
    }

    [Fact]
    public void CohensIdsSetTheActivationAndAConflictIsOneLine()
    {
        var fc = SettingsResolver.Resolve(null, new System.Text.Json.Nodes.JsonObject { ["arch"] = "fc-elu" });
        Assert.Equal(("fc", "elu", 200), (fc.Arch, fc.Activation, fc.Width));
        var wide = SettingsResolver.Resolve(null, new System.Text.Json.Nodes.JsonObject { ["arch"] = "cnn", ["width"] = 8 });
        Assert.Equal(8, wide.Width);
        var e = Assert.Throws<ProbesError>(() =>
            SettingsResolver.Resolve(null, new System.Text.Json.Nodes.JsonObject { ["arch"] = "cnn-relu", ["activation"] = "tanh" }));
        Assert.Contains("--activation tanh", e.Message);
        Assert.Throws<ProbesError>(() => SettingsResolver.Resolve(null, new System.Text.Json.Nodes.JsonObject { ["arch"] = "resnet" }));
        Assert.Throws<ProbesError>(() =>
            SettingsResolver.Resolve(null, new System.Text.Json.Nodes.JsonObject { ["arch"] = "cnn", ["depth"] = 6 }));
    }

    [Fact]
    public void ProbesEqualDenseReferencesOnATinyInput()
    {
        using var cnn = new Cnn(3, 8, 3, 2, 2, Activation.Tanh, 1, float64, CPU);
        var g = new Generator(5);
        var x = randn([3, 3 * 8 * 8], float64, generator: g);
        var y = randn([3, 2], float64, generator: g);
        int n = 3;
        var parameters = cnn.parameters().Cast<Tensor>().ToList();
        int p = (int)cnn.ParameterCount;
        const double h = 1e-5;
        // Central differences along each parameter of a quantity computed at the displaced θ.
        Matrix<double> Columns(int rows, Func<double[]> at)
        {
            var m = Matrix<double>.Build.Dense(rows, p);
            for (int k = 0; k < p; k++)
            {
                Nudge(parameters, k, h);
                var plus = at();
                Nudge(parameters, k, -2 * h);
                var minus = at();
                Nudge(parameters, k, h);
                for (int i = 0; i < rows; i++) m[i, k] = (plus[i] - minus[i]) / (2 * h);
            }
            return m;
        }
        double[] Values(Tensor t) => t.data<double>().ToArray();
        IDifferentiablePoint PointHere() => cnn.Point(x, y, null, SquaredLoss.Instance);
        // J from the forward pass alone; K = JJᵀ/n.
        var j = Columns(6, () => { using (no_grad()) return Values((cnn.forward(x) - y).flatten()); });
        var k = j * j.Transpose() / n;
        var (kValues, kVectors) = Descending(k);
        // H from differences of the gradient (1/n)Jᵀz.
        var hessian = Columns(p, () => { using var q = PointHere(); return Values(q.JacobianTransposed(q.Residual) / n); });
        hessian = (hessian + hessian.Transpose()) / 2;
        var (hValues, hVectors) = Descending(hessian);

        using var suite = new ProbeSuite(new ProbeOptions
        {
            LearningRate = 0.1, K = 2, Tolerance = 1e-11, HessianTolerance = 1e-11, QTolerance = 1e-11, QEvery = 1,
            Kinds = ProbeKinds.Ntk | ProbeKinds.Hessian | ProbeKinds.Q1 | ProbeKinds.Ratio | ProbeKinds.SelfStabilization,
        });
        ProbeRecord r;
        using (var point = PointHere()) r = suite.Run(point, 0);
        Close(r["ntk_1"], kValues[0], 1e-7, "ntk_1");
        Close(r["ntk_2"], kValues[1], 1e-7, "ntk_2");
        Close(r["hess_1"], hValues[0], 1e-7, "hess_1");
        Close(r["hess_2"], hValues[1], 1e-7, "hess_2");
        // Q₁ = Σ v₁_α ∇²f_α from differences of Jᵀv₁, v₁ signed as the suite's.
        var v1 = kVectors.Column(0);
        if (v1.DotProduct(Vector<double>.Build.DenseOfArray(Values(suite.NtkVectors[0]))) < 0) v1 = -v1;
        using var v1Tensor = tensor(v1.ToArray(), float64);
        var q1 = Columns(p, () => { using var q = PointHere(); return Values(q.JacobianTransposed(v1Tensor)); });
        var (qValues, _) = Descending((q1 + q1.Transpose()) / 2);
        Close(r["q1_max"], qValues[0], 1e-6, "q1_max");
        Close(r["q1_min"], qValues[^1], 1e-6, "q1_min");
        Close(r["z1"], v1.DotProduct(Vector<double>.Build.DenseOfArray(Values(PointHere().Residual))), 1e-7, "z1");
        // ∇³L[u, u] = ∇(uᵀH(θ)u) with u the top Hessian eigenvector held fixed, from differences of uᵀHu.
        using var u = tensor(hVectors.Column(0).ToArray(), float64);
        var gradS = Columns(1, () => { using var q = PointHere(); return [q.LossHessian(u).dot(u).item<double>()]; }).Row(0);
        Close(r["s_grad_norm"], gradS.L2Norm(), 1e-6, "‖∇S‖");
    }

    /// <summary>In child processes, as ResumeTests: the thread count a run sets is the process's, which parallel test classes share.</summary>
    [Fact]
    public void ACnnRunTrainsProbesExportsAndResumesToTheSameBytes()
    {
        using var cifar = new SyntheticCifar(train: 16, test: 4);
        using var dir = new TempDirectory();
        string[] Args(string run) => ["train", "--data", cifar.Folder, "--out", run, "--n", "12", "--n-test", "4", "--arch", "cnn-tanh",
            "--width", "4", "--steps", "6", "--lr", "0.05", "--threads", "1", "--checkpoint-every", "2", "--probe-every", "2",
            "--spectra-at", "", "--probe-window", "", "--probes", "ntk,hessian,q1,ratio"];
        Assert.Equal(0, ResumeTests.RunToEnd(Args(dir.Combine("straight"))));
        Assert.NotEqual(0, ResumeTests.RunToEnd(Args(dir.Combine("resumed")), crashAt: "step:5"));
        Assert.Equal(0, ResumeTests.RunToEnd(["train", "--resume", dir.Combine("resumed")]));
        foreach (var file in new[] { "train.csv", "probes.csv" })
        {
            var straight = File.ReadAllLines(Path.Combine(dir.Combine("straight"), file));
            var resumed = File.ReadAllLines(Path.Combine(dir.Combine("resumed"), file));
            Assert.Equal(Repository.WithoutWallTimes(straight), Repository.WithoutWallTimes(resumed));
        }
        var probes = File.ReadAllLines(Path.Combine(dir.Combine("straight"), "probes.csv"));
        var header = probes[0].Split(',');
        var row = probes[1].Split(',');
        foreach (var column in new[] { "ntk_1", "hess_1", "q1_max", "qr_min", "z1", "dz1_next" })
            Assert.True(double.TryParse(row[Array.IndexOf(header, column)], System.Globalization.CultureInfo.InvariantCulture, out var value)
                && double.IsFinite(value), $"{column} written");
        var weights = TorchSharp.PyBridge.Safetensors.LoadStateDict(Path.Combine(dir.Combine("straight"), "weights.safetensors"));
        Assert.Equal(["0.bias", "0.weight", "3.bias", "3.weight", "7.bias", "7.weight"], weights.Keys.Cast<string>().Order());
        // The central flow moves θ through the fully connected network's own point: a convnet run is refused in one line.
        var (code, _, error) = CommandLineTests.Probes("flow", dir.Combine("straight"), "--from", "0", "--to", "2");
        Assert.Equal(2, code);
        Assert.Contains("this run is --arch cnn", error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.False(Directory.Exists(Path.Combine(dir.Combine("straight"), "flow-0")));
    }

    private static void Nudge(List<Tensor> parameters, int index, double by)
    {
        using var _ = no_grad();
        foreach (var parameter in parameters)
        {
            if (index < parameter.numel())
            {
                var flat = parameter.view(-1);
                flat[index] = flat[index] + by;
                return;
            }
            index -= (int)parameter.numel();
        }
    }

    private static (double[] Values, Matrix<double> Vectors) Descending(Matrix<double> m)
    {
        var evd = m.Evd(Symmetricity.Symmetric);
        var order = Enumerable.Range(0, m.RowCount).OrderByDescending(i => evd.EigenValues[i].Real).ToArray();
        return (order.Select(i => evd.EigenValues[i].Real).ToArray(),
            Matrix<double>.Build.DenseOfColumnVectors(order.Select(i => evd.EigenVectors.Column(i))));
    }

    private static void Close(double actual, double expected, double relative, string what) =>
        Assert.True(Math.Abs(actual - expected) <= relative * Math.Max(Math.Abs(expected), 1e-300), $"{what}: {actual:R} against {expected:R}");
}
