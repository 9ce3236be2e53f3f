using Probes.Models;
using static TorchSharp.torch;
using Probes.Probing;
using Training.Studies;
using Training.Train;
using Xunit;

namespace Probes.Tests;

/// <summary>Each trace's schema is declared once in code; the README's column tables must be that schema.</summary>
public class TraceSchemaTests
{
    private static string Readme => File.ReadAllText(Path.Combine(Repository.Root, "README.md"));

    private static string Between(string text, string marker)
    {
        string open = $"<!-- {marker} -->\n", close = $"<!-- end {marker} -->";
        int a = text.IndexOf(open, StringComparison.Ordinal), b = text.IndexOf(close, StringComparison.Ordinal);
        Assert.True(a >= 0 && b > a, $"README.md has no block <!-- {marker} --> … <!-- end {marker} -->");
        return text[(a + open.Length)..b];
    }

    /// <summary>Every table a command writes, by the README block that documents it.</summary>
    private static readonly Dictionary<string, IReadOnlyList<TraceColumn>> Schemas = new()
    {
        ["probes.csv schema"] = ProbeColumns.Schema(2),
        ["train.csv schema"] = TrainStepMetrics.Schema,
        ["spectra.csv schema"] = SpectrumValue.Schema,
        ["density.csv schema"] = DensityColumns.Schema,
        ["trajectory.csv schema"] = TrajectoryStudy.Table.Schema,
        ["phase.csv schema"] = PhaseStudy.Table.Schema,
        ["sharpening.csv schema"] = SharpeningStudy.Table.Schema,
        ["flow.csv schema"] = SharpeningStudy.FlowTable.Schema,
        ["nonlinearity.csv schema"] = NonlinearityStudy.Table.Schema,
        ["central-flow.csv schema"] = Training.Flows.FlowColumns.Schema(3),
    };

    [Theory]
    [InlineData("probes.csv schema")]
    [InlineData("train.csv schema")]
    [InlineData("spectra.csv schema")]
    [InlineData("density.csv schema")]
    [InlineData("trajectory.csv schema")]
    [InlineData("phase.csv schema")]
    [InlineData("sharpening.csv schema")]
    [InlineData("flow.csv schema")]
    [InlineData("nonlinearity.csv schema")]
    [InlineData("central-flow.csv schema")]
    public void ReadmeTablesAreTheSchemas(string marker)
    {
        var schema = Schemas[marker];
        string expected = TraceColumn.MarkdownTable(schema);
        if (Between(Readme, marker) != expected)
            File.WriteAllText(Path.Combine(Path.GetTempPath(), marker.Replace(' ', '-') + ".md"), expected);  // to paste
        Assert.True(Between(Readme, marker) == expected, $"README.md's {marker} block should read:\n{expected}");
    }

    [Fact]
    public void TheProbeSuiteWritesExactlyTheSchemasColumns()
    {
        using var net = new TinyNetwork(n: 4);
        var every = ProbeOptions.ParseKinds(ProbeOptions.KindNames.Keys);
        using var suite = new ProbeSuite(new ProbeOptions { LearningRate = 0.5, K = 2, QEvery = 1, Kinds = every });
        using (var first = net.Fast())
            Assert.Empty(suite.Run(first, 0).Values.Select(v => v.Key).Except(ProbeColumns.Names(2)));
        using var point = net.Fast();
        // The midpoint's columns need a point there: θ itself stands in (MidpointTests moves θ).
        Action<Action<IDifferentiablePoint>> atMidpoint = there => there(point);
        var record = suite.Run(point, 1, atMidpoint: atMidpoint);     // a second probe: the crossing and overlap columns too
        // GD's P = I needs no solve of its own: eff_hess_i = hess_i and eff_ntk_i = ntk_i, so the preconditioned solves' costs stay empty.
        string[] preconditionedOnly = [.. new[] { "eff_hess", "eff_ntk" }.SelectMany(op => new[]
            { ProbeColumns.Iterations(op), ProbeColumns.Residual(op), ProbeColumns.DeflationIterations(op) })];
        // δ² = 2α/β is written only where α > 0.
        string[] notHere = record["alpha"] > 0 ? preconditionedOnly : [.. preconditionedOnly, ProbeColumns.Delta2];
        Assert.Equal(ProbeColumns.Names(2).Except(notHere).Order(), record.Values.Select(v => v.Key).Order());
        using var adam = new ProbeSuite(new ProbeOptions
        {
            LearningRate = 0.5, K = 2, QEvery = 1, GradientDescent = false, Threshold = 76, Kinds = every,
        });
        using var p = ones(point.ParameterSize, float64);
        _ = adam.Run(point, 0, preconditioner: p);
        var preconditioned = adam.Run(point, 1, preconditioner: p, atMidpoint: atMidpoint);
        // Not GD: y, the one-step split and self-stabilization describe GD's step and stay empty, and with no step given neither
        // is Δz₁ over the optimizer's step (StepSplitTests gives it one); everything else is written.
        string[] gdOnly = [ProbeColumns.Y, ProbeColumns.Z1Linear, ProbeColumns.Z1Second, ProbeColumns.NonlinearityRatio, ProbeColumns.Z1Realised,
            ProbeColumns.StepLinear, ProbeColumns.StepSecond,
            ProbeColumns.Z1SecondFull, ProbeColumns.NonlinearityRatioFull, ProbeColumns.NonlinearityRatioTwoStep,
            ProbeColumns.NonlinearityRatioTwoStepFull, ProbeColumns.SGradNorm, ProbeColumns.UGradS, ProbeColumns.Alpha, ProbeColumns.Beta,
            ProbeColumns.Delta2, ProbeColumns.XU, ProbeColumns.SelfStabilizationSeconds];
        Assert.Equal(ProbeColumns.Names(2).Except(gdOnly).Order(), preconditioned.Values.Select(v => v.Key).Order());
    }
}
