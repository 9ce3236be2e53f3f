using Probes.Probing;
using Xunit;

namespace Probes.Tests;

/// <summary>When a deflation space is estimated, used, or paused, for sequences of solve costs.</summary>
public class DeflationScheduleTests
{
    /// <summary>Runs the schedule over solve costs; 'E' estimate then deflated solve, 'D' deflated solve, 'L' Lanczos.</summary>
    private static string Trace(params int[] costs)
    {
        var schedule = new DeflationSchedule();
        var trace = "";
        foreach (int cost in costs)
        {
            if (!schedule.Deflate) { schedule = schedule.Skipped(); trace += "L"; continue; }
            if (schedule.Stale) { schedule = schedule.Estimated(); trace += "E"; }
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
    public void AFreshSpaceThatDoesNotPayPausesDeflationWithDoublingPauses()
    {
        var first = "E" + new string('L', 8) + "E";
        Assert.Equal(first, Trace([20, .. Enumerable.Repeat(30, 9)]));
        // Still costly after the pause: twice as long; a cheap solve resets the next pause to 8.
        Assert.Equal(first + new string('L', 16) + "E", Trace([.. Enumerable.Repeat(20, 27)]));
        var schedule = new DeflationSchedule().Estimated().Solved(30, 16);
        Assert.Equal(8, schedule.Pause);
        Assert.Equal(16, schedule.NextPause);
        for (int i = 0; i < 8; i++) schedule = schedule.Skipped();
        schedule = schedule.Estimated().Solved(6, 16);
        Assert.Equal(DeflationSchedule.FirstPause, schedule.NextPause);
        Assert.True(schedule.Deflate && !schedule.Stale);
    }

    [Fact]
    public void PausesStopGrowingAtTheLongest()
    {
        var schedule = new DeflationSchedule();
        for (int round = 0; round < 12; round++)
        {
            schedule = schedule.Estimated().Solved(99, 16);
            while (!schedule.Deflate) schedule = schedule.Skipped();
        }
        Assert.Equal(DeflationSchedule.LongestPause, schedule.NextPause);
    }

    [Fact]
    public void SurvivesExportAndImport()
    {
        var schedule = new DeflationSchedule().Estimated().Solved(7, 16).Solved(30, 16);
        Assert.Equal(schedule, DeflationSchedule.Import(schedule.Export()));
        Assert.Equal(new DeflationSchedule(), DeflationSchedule.Import(null));
    }
}
