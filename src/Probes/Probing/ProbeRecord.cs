namespace Probes.Probing;

/// <summary>A Ritz value of Q₁ or Q_r at one end of its spectrum, for the spectra file.</summary>
public sealed record SpectrumValue(int Step, string Operator, string End, int Index, double Value);

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

    /// <summary>The column names of probes.csv for k eigenpairs, in order.</summary>
    public static IReadOnlyList<string> Columns(int k) =>
    [
        "step",
        .. Enumerable.Range(1, k).Select(i => $"ntk_{i}"),
        "eta_ntk_1", "y", "z1", "z2", "z_norm",
        .. Enumerable.Range(1, k).Select(i => $"hess_{i}"),
        "q1_max", "q1_min", "qr_max", "qr_min", "z1_lin", "z1_nl", "nl_ratio", "dz1_next",
        "z1_nl_full", "nl_ratio_full", "nl_ratio_2step", "nl_ratio_2step_full",
        "eta_ntk_2", "eta_hess_1", "v1_overlap", "crossing",
        "ntk_iters", "ntk_resid", "ntk_deflation_iters", "hess_iters", "hess_resid", "hess_deflation_iters", "q1_iters", "q1_resid", "qr_iters", "qr_resid",
        "warm_lag", "probe_seconds",
    ];

    /// <summary>The first column holding a non-finite value, if any: a probe that diverged.</summary>
    public string? FirstNonFinite() => _values.FirstOrDefault(p => !double.IsFinite(p.Value)).Key;
}
