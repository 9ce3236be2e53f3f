namespace Probes.Probing;

/// <summary>
/// When an operator's deflation space is worth having: estimated at the first deflated solve, again at the
/// next one after a solve that cost more than the refresh threshold (the space has drifted), and not at all
/// for a pause of probes when even a fresh space did not pay (the operator changes too fast, as in early
/// unstable training: each estimate would cost ~100 matvecs and buy nothing). Pauses double while that
/// persists (8, 16, …, 256 probes) and reset after a cheap solve.
/// </summary>
public sealed record DeflationSchedule
{
    public const int FirstPause = 8, LongestPause = 256;

    /// <summary>Estimate the space before the next deflated solve.</summary>
    public bool Stale { get; init; } = true;
    public int SolvesSinceEstimate { get; init; }
    /// <summary>Step-by-step probes still to run by Lanczos.</summary>
    public int Pause { get; init; }
    public int NextPause { get; init; } = FirstPause;

    public bool Deflate => Pause == 0;

    /// <summary>After a probe run by Lanczos during a pause.</summary>
    public DeflationSchedule Skipped() => this with { Pause = Math.Max(Pause - 1, 0) };

    public DeflationSchedule Estimated() => this with { Stale = false, SolvesSinceEstimate = 0 };

    /// <summary>After a deflated solve that took <paramref name="matvecs"/> (estimate excluded).</summary>
    public DeflationSchedule Solved(int matvecs, int refreshAbove)
    {
        int age = SolvesSinceEstimate + 1;
        if (matvecs <= refreshAbove) return this with { SolvesSinceEstimate = age, NextPause = FirstPause };
        if (age <= 2)                 // a space at most one solve old did not help: pause
            return this with { SolvesSinceEstimate = age, Stale = true, Pause = NextPause, NextPause = Math.Min(2 * NextPause, LongestPause) };
        return this with { SolvesSinceEstimate = age, Stale = true };
    }

    public double[] Export() => [Stale ? 1 : 0, SolvesSinceEstimate, Pause, NextPause];

    public static DeflationSchedule Import(double[]? values) => values is [var stale, var age, var pause, var next]
        ? new DeflationSchedule { Stale = stale != 0, SolvesSinceEstimate = (int)age, Pause = (int)pause, NextPause = (int)next }
        : new DeflationSchedule();
}
