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

/// <summary>
/// One row of probes.csv: named values in column order (NaN where a probe did not run), plus spectra rows.
/// Values are those at θ_t, before step t's update.
/// </summary>
public sealed class ProbeRecord
{
    private readonly List<KeyValuePair<string, double>> _values = new();

    public int Step { get; init; }
    public IReadOnlyList<KeyValuePair<string, double>> Values => _values;
    public List<SpectrumValue> Spectra { get; } = new();
    /// <summary>SLQ densities of Q₁ and Q_r by operator name, on spectrum steps when asked for.</summary>
    public List<(string Operator, Lanczos.Density Density)> Densities { get; } = new();
    /// <summary>Whether the top NTK eigenvector matched the previous probe's second better than its first.</summary>
    public bool Crossing { get; set; }
    /// <summary>Operators whose Lanczos hit the iteration cap.</summary>
    public List<string> Unconverged { get; } = new();

    public void Set(string column, double value)
    {
        int i = _values.FindIndex(p => p.Key == column);
        if (i >= 0) _values[i] = new(column, value);
        else _values.Add(new(column, value));
    }

    public double this[string column] => _values.FirstOrDefault(p => p.Key == column, new(column, double.NaN)).Value;

    /// <summary>The column names of probes.csv for k eigenpairs, in order (<see cref="ProbeColumns"/>).</summary>
    public static IReadOnlyList<string> Columns(int k) => ProbeColumns.Names(k);

    /// <summary>The first column holding a non-finite value, if any: a probe that diverged.</summary>
    public string? FirstNonFinite() => _values.FirstOrDefault(p => !double.IsFinite(p.Value)).Key;
}
