using Probes.Probing;

namespace Training.Train;

/// <summary>
/// The time a run has left, with its probes counted: the mean training step and the mean probe so far, times the steps
/// left and the probes the schedule will still run (every step from here while η·λ₁ is above --probe-above, else the
/// periodic and window steps). A plain steps-per-second rate swings by minutes whenever a probe runs (4:04 → 10:48 → 2:15
/// within 30 s at n = 5,000); this does not.
/// </summary>
internal sealed class RunEta(int every, IReadOnlyList<(int From, int To)> windows, double? above)
{
    private double _trainSeconds, _probeSeconds;
    private int _trainSteps, _probes;

    public void Trained(double seconds) { _trainSeconds += seconds; _trainSteps++; }

    public void Probed(double seconds) { _probeSeconds += seconds; _probes++; }

    /// <summary>Seconds left after <paramref name="step"/> of <paramref name="steps"/>, or null before there is a step to time.</summary>
    public double? SecondsLeft(int step, int steps, double? lastSharpness)
    {
        if (_trainSteps == 0) return null;
        int left = Math.Max(steps - step, 0);
        double probesLeft;
        if (above is { } threshold && lastSharpness > threshold) probesLeft = left;
        else
        {
            // The periodic steps in (step, steps], then each window's steps there that are not periodic ones (windows are disjoint
            // in practice; an overlap of two is counted twice, which only lengthens the estimate).
            int Periodic(int a, int b) => every > 0 && b >= a ? b / every - (a - 1) / every : 0;      // multiples of every in [a, b]
            probesLeft = Periodic(step + 1, steps);
            foreach (var (from, to) in windows)
            {
                int a = Math.Max(from, step + 1), b = Math.Min(to, steps);
                if (b >= a) probesLeft += b - a + 1 - Periodic(a, b);
            }
            probesLeft = Math.Min(probesLeft, left);
        }
        double perProbe = _probes > 0 ? _probeSeconds / _probes : 0;
        return left * _trainSeconds / _trainSteps + probesLeft * perProbe;
    }

    /// <summary>"12:34" or "1:02:03".</summary>
    public static string Format(double seconds)
    {
        var t = TimeSpan.FromSeconds(Math.Round(seconds));
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:D2}:{t.Seconds:D2}" : $"{t.Minutes}:{t.Seconds:D2}";
    }
}
