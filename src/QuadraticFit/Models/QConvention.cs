namespace QuadraticFit.Models;

/// <summary>
/// How a random model's Q, symmetric in its last two indices, is drawn: the convention that sets every
/// constant that is quadratic in Q (Theorem 4.1's E[λ̈]/E[λ], r_NL²).
/// </summary>
/// <remarks>
/// <see cref="Goe"/> (the default): Q_α = (A + Aᵀ)/√2 with A i.i.d. N(0, 1), off-diagonal variance 1 and
/// diagonal 2, so E[Q_αij Q_αkl] = δ_ik δ_jl + δ_il δ_jk: rotation-invariant, every entry a unit-variance
/// off-diagonal as in a Gaussian orthogonal ensemble. <see cref="Iid"/>: the paper's words in Theorem 4.1,
/// "Q initialized with i.i.d. elements with variance 1": an i.i.d. unit tensor A acts on (w, w) only
/// through its symmetric part (A + Aᵀ)/2, off-diagonal variance ½ and diagonal 1, which is the same model
/// with Q scaled by 1/√2. Every Q-quadratic constant is then half the GOE one, and r_NL 1/√2 of it.
/// </remarks>
public enum QConvention
{
    Goe,
    Iid,
}

public static class QConventions
{
    /// <summary>E[Q_αij Q_αkl] relative to <see cref="QConvention.Goe"/>: 1, or ½ for <see cref="QConvention.Iid"/>.</summary>
    public static double Variance(this QConvention c) => c == QConvention.Iid ? 0.5 : 1;

    /// <summary>The names the command line takes.</summary>
    public static string Name(this QConvention c) => c == QConvention.Iid ? "iid" : "goe";

    public static QConvention Parse(string name) => name.ToLowerInvariant() switch
    {
        "goe" => QConvention.Goe,
        "iid" => QConvention.Iid,
        _ => throw new ArgumentException($"unknown Q convention '{name}' (goe or iid)."),
    };
}
