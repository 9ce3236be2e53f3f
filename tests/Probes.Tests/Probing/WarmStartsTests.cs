using Probes.Probing;
using Xunit;
using static TorchSharp.torch;

namespace Probes.Tests;

/// <summary>Which earlier vectors <see cref="WarmStarts.For"/> hands a solve, on the every-probe and the every-other-step schedules.</summary>
public class WarmStartsTests
{
    private static Tensor Unit(params double[] x)
    {
        var t = tensor(x, float64);
        return t.div_(t.norm());
    }

    private static void Same(Tensor expected, Tensor actual) =>
        Assert.Equal(expected.data<double>().ToArray(), actual.data<double>().ToArray());

    [Fact]
    public void AnOperatorOnEveryOtherStepTakesItsOwnLastEntryAsTwoBackAndExtrapolatesFromItsLastTwo()
    {
        using var warm = new WarmStarts();
        using var older = Unit(1, 0, 0.5);
        using var newer = Unit(0.8, 0.1, 0.6);
        warm.Push([older]);
        warm.Push([newer]);
        var stored = warm.Last[0];

        var (twoBack, lag2) = warm.For(WarmLag.TwoBack, every: 2);
        Assert.Equal(WarmLag.TwoBack, lag2);
        Same(stored, twoBack[0]);

        var (extrapolated, lag4) = warm.For(WarmLag.Extrapolated, every: 2);
        Assert.Equal(WarmLag.Extrapolated, lag4);
        Same(WarmStarts.Extrapolate(warm.Last, warm.Back(2))[0], extrapolated[0]);

        // Every probe: two entries are t − 1 and t − 2, so the period-2 start is the older one, with no extrapolation.
        var (everyProbe, lag) = warm.For(WarmLag.Extrapolated);
        Assert.Equal(WarmLag.TwoBack, lag);
        Same(warm.Back(2)[0], everyProbe[0]);

        // A sparser schedule: the last entry whatever the motion; nothing yet: cold.
        var (sparse, lag3) = warm.For(WarmLag.Extrapolated, every: 3);
        Assert.Equal(WarmLag.Last, lag3);
        Same(stored, sparse[0]);
        using var empty = new WarmStarts();
        Assert.Equal(WarmLag.Cold, empty.For(WarmLag.Extrapolated, every: 2).Lag);
    }

    [Fact]
    public void TheTrendExtrapolatesTheLastTwoEntriesAndFallsBackToTheLastOrCold()
    {
        using var warm = new WarmStarts();
        Assert.Equal(WarmLag.Cold, warm.For(WarmLag.Trend).Lag);
        using var older = Unit(1, 0, 0.5);
        warm.Push([older]);
        var (one, lag1) = warm.For(WarmLag.Trend);
        Assert.Equal(WarmLag.Last, lag1);
        Same(warm.Last[0], one[0]);
        using var newer = Unit(-0.8, -0.1, -0.6);          // the opposite sign: aligned before extrapolating
        warm.Push([newer]);
        var (trend, lag) = warm.For(WarmLag.Trend);
        Assert.Equal(WarmLag.Trend, lag);
        var a = warm.Last[0].data<double>().ToArray();
        var b = warm.Back(2)[0].data<double>().ToArray();
        var v = a.Zip(b, (x, y) => 2 * x + y).ToArray();     // b's sign flipped to align with a
        double norm = Math.Sqrt(v.Sum(x => x * x));
        var t = trend[0].data<double>().ToArray();
        for (int i = 0; i < v.Length; i++) Assert.Equal(v[i] / norm, t[i], 14);
    }
}
