using Training.Train;
using Xunit;

namespace Probes.Tests;

/// <summary>The time left counts the probes still to come: written out for a schedule of every 10 steps, a window and the above rule.</summary>
public class RunEtaTests
{
    [Fact]
    public void TimeLeftIsMeanStepTimesStepsLeftPlusMeanProbeTimesProbesLeft()
    {
        var eta = new RunEta(every: 10, windows: [(90, 94)], above: 1.9);
        Assert.Null(eta.SecondsLeft(0, 100, null));                 // nothing timed yet
        eta.Trained(0.2);
        eta.Trained(0.4);                                           // 0.3 s a step
        eta.Probed(2.0);                                            // 2 s a probe
        // At step 40 of 100, below the threshold: 60 steps, probes at 50, 60, 70, 80, 90, 100 and the window's 91–94.
        Assert.Equal(60 * 0.3 + 10 * 2.0, eta.SecondsLeft(40, 100, 1.5)!.Value, 12);
        // Above it, every step left is probed.
        Assert.Equal(60 * 0.3 + 60 * 2.0, eta.SecondsLeft(40, 100, 2.01)!.Value, 12);
        Assert.Equal(0, eta.SecondsLeft(100, 100, 1.5)!.Value, 12);
        Assert.Equal("1:02:03", RunEta.Format(3723));
        Assert.Equal("4:05", RunEta.Format(245));
    }
}
