namespace Probes.Probing;

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
    public List<(string Operator, Eigensolvers.Density Density)> Densities { get; } = new();
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
