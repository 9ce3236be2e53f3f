namespace Probes.Probing;

/// <summary>A Ritz value of Q₁ or Q_r at one end of its spectrum, for the spectra file.</summary>
public sealed record SpectrumValue(int Step, string Operator, string End, int Index, double Value)
{
    /// <summary>The schema of spectra.csv.</summary>
    public static readonly IReadOnlyList<TraceColumn> Schema =
    [
        new("step", "GD step t of the --spectra-at probe"),
        new("operator", "q1 or qr"),
        new("end", "top (largest first) or bottom (smallest first)"),
        new("index", "1 for the extreme eigenvalue, 2 for the next, …"),
        new("value", "the eigenvalue (Ritz value at the probe tolerance)"),
    ];

    /// <summary>The columns that hold words, not numbers.</summary>
    public static readonly IReadOnlySet<string> TextColumns = new HashSet<string> { "operator", "end" };
}
