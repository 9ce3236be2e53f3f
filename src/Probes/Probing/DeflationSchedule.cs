namespace Probes.Probing;

/// <summary>
/// When an operator's deflation space is worth having: estimated at the first deflated solve, again at the
/// next one after a solve that cost more than the refresh threshold (the space has drifted far), or once the
/// matvecs paid above the cheapest solve since the estimate (beyond a slack of one) add up to what the estimate cost (it has drifted
/// slowly: on the paper's run the NTK's space estimated before the first fall of λ₁ left every later solve
/// at 12–13 matvecs where a fresh one gives 6–7). That rule buys a new space when renting the old one has
/// cost as much; under a linear drift it is the refresh period with the least total cost. No deflation for a
/// pause of probes when even a fresh space did not pay (the operator changes too fast, as in early unstable
/// training: each estimate would cost ~100 matvecs and buy nothing). Pauses double while that persists
/// (8, 16, …, 256 probes) and reset after a cheap solve.
/// </summary>
public sealed record DeflationSchedule
{
    public const int FirstPause = 8, LongestPause = 256;

    /// <summary>
    /// Matvecs above the cheapest solve not counted as drift: a block Davidson run varies by one with which
    /// pair converges first (on the paper's run 6 and 7 alternate with the sign of z₁), and no space fixes that.
    /// </summary>
    public const int Slack = 1;

    /// <summary>Estimate the space before the next deflated solve.</summary>
    public bool Stale { get; init; } = true;
    public int SolvesSinceEstimate { get; init; }
    /// <summary>Step-by-step probes still to run by Lanczos.</summary>
    public int Pause { get; init; }
    public int NextPause { get; init; } = FirstPause;
    /// <summary>Matvecs the last estimate took.</summary>
    public int EstimateCost { get; init; }
    /// <summary>The cheapest deflated solve since the last estimate (0: none yet).</summary>
    public int Cheapest { get; init; }
    /// <summary>Matvecs paid above <see cref="Cheapest"/> + <see cref="Slack"/> by the solves since the last estimate.</summary>
    public int Excess { get; init; }

    public bool Deflate => Pause == 0;

    /// <summary>After a probe run by Lanczos during a pause.</summary>
    public DeflationSchedule Skipped() => this with { Pause = Math.Max(Pause - 1, 0) };

    public DeflationSchedule Estimated(int matvecs) =>
        this with { Stale = false, SolvesSinceEstimate = 0, EstimateCost = matvecs, Cheapest = 0, Excess = 0 };

    /// <summary>After a deflated solve that took <paramref name="matvecs"/> (estimate excluded).</summary>
    public DeflationSchedule Solved(int matvecs, int refreshAbove)
    {
        int age = SolvesSinceEstimate + 1;
        if (matvecs <= refreshAbove)
        {
            int cheapest = Cheapest == 0 ? matvecs : Math.Min(Cheapest, matvecs);
            int excess = Excess + Math.Max(matvecs - cheapest - Slack, 0);
            return this with
            {
                SolvesSinceEstimate = age,
                NextPause = FirstPause,
                Cheapest = cheapest,
                Excess = excess,
                Stale = EstimateCost > 0 && excess >= EstimateCost,
            };
        }
        if (age <= 2)                 // a space at most one solve old did not help: pause
            return this with { SolvesSinceEstimate = age, Stale = true, Pause = NextPause, NextPause = Math.Min(2 * NextPause, LongestPause) };
        return this with { SolvesSinceEstimate = age, Stale = true };
    }

    public double[] Export() => [Stale ? 1 : 0, SolvesSinceEstimate, Pause, NextPause, EstimateCost, Cheapest, Excess];

    /// <summary>
    /// Reads <see cref="Export"/>'s values. A state written before the drift rule lacks the estimate's cost, so
    /// its space is estimated again at the next deflated solve, which measures it.
    /// </summary>
    public static DeflationSchedule Import(double[]? values)
    {
        if (values is not { Length: 4 or 7 }) return new DeflationSchedule();
        var schedule = new DeflationSchedule
        {
            Stale = values[0] != 0, SolvesSinceEstimate = (int)values[1], Pause = (int)values[2], NextPause = (int)values[3],
        };
        return values.Length == 4 ? schedule with { Stale = true }
            : schedule with { EstimateCost = (int)values[4], Cheapest = (int)values[5], Excess = (int)values[6] };
    }
}
