namespace Probes.Probing;

/// <summary>The schema of density.csv: SLQ spectral densities of Q₁ and Q_r at --spectra-at steps.</summary>
public static class DensityColumns
{
    public static readonly IReadOnlyList<TraceColumn> Schema =
    [
        new("step", "GD step t"),
        new("operator", "q1 or qr"),
        new("x", "eigenvalue grid point"),
        new("density", "smoothed spectral density at x (integrates to 1)", "1 / eigenvalue"),
    ];

    public static readonly IReadOnlySet<string> TextColumns = new HashSet<string> { "operator" };
}
