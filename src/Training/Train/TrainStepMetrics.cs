using Probes.Probing;

namespace Training.Train;

/// <summary>One row of train.csv: values at θ_t, before step t's update.</summary>
internal sealed record TrainStepMetrics(int Step, double Loss, double Accuracy, double? TestLoss, double? TestAccuracy,
    double GradNorm, double ParamNorm, double Seconds)
{
    /// <summary>The schema of train.csv, declared once (the README's table is checked against it).</summary>
    public static readonly IReadOnlyList<TraceColumn> Schema =
    [
        new("step", "GD step t; every value is at θ_t, before step t's update"),
        new("loss", "L = (1/n) Σᵢ ℓ(f(xᵢ), yᵢ) on the n training examples: ℓ = ½‖f − y‖² (--loss mse) or −log softmax(f)_label (ce)"),
        new("accuracy", "fraction of training examples whose largest output is the label"),
        new("test_loss", "L on the test examples (every --test-every steps)"),
        new("test_accuracy", "accuracy on the test examples"),
        new("grad_norm", "‖∇L(θ_t)‖"),
        new("param_norm", "‖θ_t‖"),
        new("seconds", "wall time since the run started, resumes included", "s"),
    ];

    public static readonly string[] Columns = [.. Schema.Select(c => c.Name)];

    public IEnumerable<KeyValuePair<string, double>> Values()
    {
        yield return new("step", Step);
        yield return new("loss", Loss);
        yield return new("accuracy", Accuracy);
        if (TestLoss is { } tl) yield return new("test_loss", tl);
        if (TestAccuracy is { } ta) yield return new("test_accuracy", ta);
        yield return new("grad_norm", GradNorm);
        yield return new("param_norm", ParamNorm);
        yield return new("seconds", Seconds);
    }

    public bool IsFinite => double.IsFinite(Loss) && double.IsFinite(GradNorm) && double.IsFinite(ParamNorm);
}
