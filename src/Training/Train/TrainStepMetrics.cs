namespace Training.Train;

/// <summary>One row of train.csv: values at θ_t, before step t's update.</summary>
public sealed record TrainStepMetrics(int Step, double Loss, double Accuracy, double? TestLoss, double? TestAccuracy,
    double GradNorm, double ParamNorm, double Seconds)
{
    public static readonly string[] Columns =
        ["step", "loss", "accuracy", "test_loss", "test_accuracy", "grad_norm", "param_norm", "seconds"];

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
