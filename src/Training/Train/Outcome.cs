namespace Training.Train;

/// <summary>How a run ended.</summary>
internal sealed record Outcome(string Reason, int LastStep, TrainStepMetrics? Last, int ExitCode)
{
    public string Summary(string path) => ExitCode switch
    {
        ExitCodes.Interrupted => $"interrupted after step {LastStep}; resume with: probes train --resume {path}",
        ExitCodes.Diverged => $"diverged at step {LastStep}; traces, log and the last finite checkpoint are in {path}",
        _ => $"{Reason}: step {LastStep}, loss {Last?.Loss:G6}, accuracy {Last?.Accuracy:P2}, {Last?.Seconds:F1} s → {path}\n"
             + $"next: probes plot {path}   probes report {path}   probes fit {path}",
    };
}
