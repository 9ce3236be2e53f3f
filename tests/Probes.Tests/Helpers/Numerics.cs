using Xunit;
using static TorchSharp.torch;

namespace Probes.Tests;

/// <summary>Comparisons used across tests.</summary>
public static class Numerics
{
    public static double RelativeError(Tensor actual, Tensor expected) =>
        (actual - expected).norm().item<double>() / Math.Max(expected.norm().item<double>(), 1e-300);

    public static void Close(Tensor actual, Tensor expected, double tolerance, string what)
    {
        double e = RelativeError(actual, expected);
        Assert.True(e <= tolerance, $"{what}: relative error {e:E2} > {tolerance:E1}");
    }

    public static void Close(double actual, double expected, double tolerance, string what)
    {
        double e = Math.Abs(actual - expected) / Math.Max(Math.Abs(expected), 1e-300);
        Assert.True(e <= tolerance, $"{what}: {actual:R} vs {expected:R}, relative error {e:E2} > {tolerance:E1}");
    }
}
