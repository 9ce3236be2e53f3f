namespace Probes.Probing;

/// <summary>
/// The ends of a spectrum computed in reduced coordinates, with the eigenvalue 0 of the point's
/// <see cref="Models.IDifferentiablePoint.DroppedDirections"/> put back where it belongs: exact, since the
/// full operator's spectrum is the reduced one plus that many zeros.
/// </summary>
internal static class DroppedZeros
{
    /// <summary>The largest values (descending), with up to <paramref name="dropped"/> zeros merged in.</summary>
    public static double[] Top(IReadOnlyList<double> top, long dropped)
    {
        if (dropped == 0) return [.. top];
        int zeros = (int)Math.Min(dropped, top.Count);
        double[] merged = [.. top.Where(v => v >= 0), .. Enumerable.Repeat(0.0, zeros), .. top.Where(v => v < 0)];
        return merged[..top.Count];
    }

    /// <summary>The smallest values (ascending), likewise.</summary>
    public static double[] Bottom(IReadOnlyList<double> bottom, long dropped) =>
        [.. Top([.. bottom.Select(v => -v)], dropped).Select(v => v == 0 ? 0.0 : -v)];
}
