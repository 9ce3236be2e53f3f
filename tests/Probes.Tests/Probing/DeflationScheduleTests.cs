using Probes.Probing;
using Xunit;

namespace Probes.Tests;

/// <summary>When a deflation space is estimated, used, or paused, for sequences of solve costs.</summary>
public class DeflationScheduleTests
{
    /// <summary>Runs the schedule over solve costs; 'E' estimate then deflated solve, 'D' deflated solve, 'L' Lanczos.</summary>
    private static string Trace(params int[] costs) => TraceEstimatedAt(84, costs);

    private static string TraceEstimatedAt(int estimateCost, params int[] costs)
    {
        var schedule = new DeflationSchedule();
        var trace = "";
        foreach (int cost in costs)
        {
            if (!schedule.Deflate) { schedule = schedule.Skipped(); trace += "L"; continue; }
            if (schedule.Stale) { schedule = schedule.Estimated(estimateCost); trace += "E"; }
            else trace += "D";
            schedule = schedule.Solved(cost, refreshAbove: 16);
        }
        return trace;
    }

    [Fact]
    public void ASpaceIsEstimatedOnceAndAgainAfterItHasDrifted()
    {
        Assert.Equal("EDDDD", Trace(7, 7, 6, 7, 8));
        // Cheap for a while, then costly: the drifted space is estimated again at the next probe.
        Assert.Equal("EDDDED", Trace(7, 7, 8, 20, 7, 7));
    }

    [Fact]
    public void ASlowDriftHasTheSpaceEstimatedOnceItsExtraMatvecsAddUpToAnEstimate()
    {
        // Cheapest 6, then 5 matvecs more (4 beyond the slack of one): 5 solves reach 20, the estimate's cost.
        Assert.Equal("EDDDDDE", TraceEstimatedAt(20, 6, 11, 11, 11, 11, 11, 6));
        // The t − 1 start of the first solve costs more than the later ones, but it sets no baseline to pay against.
        Assert.Equal("EDDDD", TraceEstimatedAt(20, 12, 6, 7, 6, 7));
        // One matvec above the cheapest, as 6 and 7 alternate on the paper's run, is no drift at all;
        // two above add up to the estimate's cost after 20 solves.
        Assert.Equal("E" + new string('D', 100), TraceEstimatedAt(20, [.. Enumerable.Range(0, 101).Select(i => 6 + i % 2)]));
        Assert.Equal("E" + new string('D', 20) + "E", TraceEstimatedAt(20, [6, .. Enumerable.Repeat(8, 21)]));
        // A state written before the rule does not know what its estimate cost: it is estimated again, and measured.
        var old = DeflationSchedule.Import([0, 3, 0, 8]);
        Assert.True(old.Stale && old.Deflate);
        Assert.Equal(3, old.SolvesSinceEstimate);
    }

    [Fact]
    public void AFreshSpaceThatDoesNotPayPausesDeflationWithDoublingPauses()
    {
        var first = "E" + new string('L', 8) + "E";
        Assert.Equal(first, Trace([20, .. Enumerable.Repeat(30, 9)]));
        // Still costly after the pause: twice as long; a cheap solve resets the next pause to 8.
        Assert.Equal(first + new string('L', 16) + "E", Trace([.. Enumerable.Repeat(20, 27)]));
        var schedule = new DeflationSchedule().Estimated(84).Solved(30, 16);
        Assert.Equal(8, schedule.Pause);
        Assert.Equal(16, schedule.NextPause);
        for (int i = 0; i < 8; i++) schedule = schedule.Skipped();
        schedule = schedule.Estimated(84).Solved(6, 16);
        Assert.Equal(DeflationSchedule.FirstPause, schedule.NextPause);
        Assert.True(schedule.Deflate && !schedule.Stale);
    }

    [Fact]
    public void PausesStopGrowingAtTheLongest()
    {
        var schedule = new DeflationSchedule();
        for (int round = 0; round < 12; round++)
        {
            schedule = schedule.Estimated(84).Solved(99, 16);
            while (!schedule.Deflate) schedule = schedule.Skipped();
        }
        Assert.Equal(DeflationSchedule.LongestPause, schedule.NextPause);
    }

    [Fact]
    public void SurvivesExportAndImport()
    {
        var schedule = new DeflationSchedule().Estimated(84).Solved(7, 16).Solved(30, 16);
        Assert.Equal(schedule, DeflationSchedule.Import(schedule.Export()));
        var drifting = new DeflationSchedule().Estimated(84).Solved(6, 16).Solved(9, 16);
        Assert.Equal((84, 6, 2), (drifting.EstimateCost, drifting.Cheapest, drifting.Excess));
        Assert.Equal(drifting, DeflationSchedule.Import(drifting.Export()));
        Assert.Equal(new DeflationSchedule(), DeflationSchedule.Import(null));
    }
}
