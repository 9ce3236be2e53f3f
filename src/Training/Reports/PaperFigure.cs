namespace Training.Reports;

/// <summary>
/// One of the paper's figures as `probes quad figure N` draws it: the files written (PNG figures, CSV data) and
/// the numbers that go with them, each named, so that docs and tests can set them beside the caption's claim.
/// </summary>
internal sealed record PaperFigure(int Number, string Caption, IReadOnlyDictionary<string, double> Numbers, IReadOnlyList<string> Files)
{
    /// <summary>The figures `quad figure` knows, with the paper's caption claim of each.</summary>
    public static readonly IReadOnlyDictionary<int, string> Captions = new Dictionary<int, string>
    {
        [1] = "D = 1, P = 2 loss landscape (Q eigenvalues 1 and −0.1, E = 0); GD from (1.5, −4.32), every step and every other step",
        [2] = "D = 1, P = 2 (ε = 5·10⁻³): curvature against steps for several η from the same θ₀ settles at 2/η",
        [3] = "random models D = 60, P = 120, η = 1: monotonic loss for small σ_z, higher final η·λ_max and EOS for larger σ_z",
        [7] = "symmetric model (eigenvalues ±1): phase portraits for several Ẽ with both nullclines; sharpening but no EOS",
        [8] = "D = 1, P = 2 phase planes: the forbidden region and the nullclines for a > 1 and a < −1",
        [9] = "small ε: the two-step nullclines through (0, 2) almost coincide; final T(0) of random starts peaks near 2",
    };
}
