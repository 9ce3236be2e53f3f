namespace Probes.Probing;

/// <summary>
/// When to probe: every <c>every</c> steps (0: never on a period), every step inside the windows, and every
/// step while the last measured η·λ₁ exceeds <c>above</c>, so the EOS phase is captured step by step.
/// </summary>
public sealed class ProbeSchedule(int every, IReadOnlyList<(int From, int To)> windows, double? above)
{
    public bool IsEmpty => every == 0 && windows.Count == 0 && above is null;

    public bool IsDue(int step, double? lastSharpness) =>
        (every > 0 && step % every == 0)
        || windows.Any(w => w.From <= step && step <= w.To)
        || (above is { } threshold && lastSharpness > threshold);
}
