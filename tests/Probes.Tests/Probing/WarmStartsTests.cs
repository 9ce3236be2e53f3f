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
}
