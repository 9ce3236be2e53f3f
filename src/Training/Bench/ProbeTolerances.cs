namespace Training.Bench;

/// <summary>
/// The three probe tolerances a benchmark can set (--probe-tol, --probe-hess-tol, --probe-q-tol): the NTK's,
/// the loss Hessian's and Q₁'s and Q_r's relative residuals; null keeps the run's own.
/// </summary>
internal sealed record ProbeTolerances(double? Ntk, double? Hessian, double? Q)
{
    /// <summary>All three the same.</summary>
    public static ProbeTolerances All(double t) => new(t, t, t);

    /// <summary>These, with the unset ones taken from <paramref name="own"/>.</summary>
    public ProbeTolerances Or(ProbeTolerances own) => new(Ntk ?? own.Ntk, Hessian ?? own.Hessian, Q ?? own.Q);

    public override string ToString() => $"NTK {Ntk:G2}, Hessian {Hessian:G2}, Q {Q:G2}";
}
