using QuadraticFit.Models;
using QuadraticFit.Simulation;
using Training.Reports;
using Training.Runs;
using Training.Train;

namespace Training.Studies;

/// <summary>
/// <c>probes quad nonlinearity</c>: the nonlinearity ratio r_NL (Eq. 27) of random models on a σ̃_z × σ̃_J × η
/// grid (<see cref="NonlinearitySeries"/>), its fitted power law, nonlinearity.csv and its figure.
/// </summary>
internal static class NonlinearityStudy
{
    public sealed record Spec(int D, int P, double[] SigmaZ, double[] SigmaJ, double[] Lr, int Seeds, QConvention Convention);

    public sealed record Outcome(List<NonlinearityPoint> Points, PowerLaw Law, double ExactPrefactor, double LimitPrefactor, string Figure);

    public static readonly Table<NonlinearityPoint> Table = new("nonlinearity.csv",
    [
        new("sigma_z_tilde", "σ̃_z = D·σ_z", x => x.SigmaZTilde),
        new("sigma_j_tilde", "σ̃_J = (DP)^¼·σ_J", x => x.SigmaJTilde),
        new("eta", "the step size η", x => x.Eta),
        new("r_nl", "r_NL of Eq. 27, Monte Carlo mean over the seeds", x => x.Ratio.Mean),
        new("r_nl_se", "its standard error", x => x.Ratio.StandardError),
        new("seeds", "random models drawn for the point", x => x.Ratio.Samples),
    ]);

    public static Outcome Run(Spec s, RunDirectory run)
    {
        int total = s.SigmaZ.Length * s.SigmaJ.Length * s.Lr.Length;
        var points = ProgressDisplay.Run(total, progress =>
            NonlinearitySeries.Run(s.D, s.P, s.SigmaZ, s.SigmaJ, s.Lr, s.Seeds, done => progress.Report(done, total, $"point {done}/{total}"),
                s.Convention));
        if (points.FirstOrDefault(x => !double.IsFinite(x.Ratio.Mean)) is { } overflow)
            throw new ProbesError($"r_NL overflowed float64 at σ̃_z = {overflow.SigmaZTilde:G3}, σ̃_J = {overflow.SigmaJTilde:G3}, "
                + $"η = {overflow.Eta:G3} "
                + "(its terms exceed 1e308): choose smaller values; nothing was written.", ExitCodes.Diverged);
        var law = NonlinearitySeries.Fit(points);
        Table.Write(run, points);
        var figure = QuadStatisticsFigures.Nonlinearity(points, law, s.D, s.P, s.Convention).Save(run.Path);
        double exact = NonlinearitySeries.Prefactor(s.D, s.P, s.Convention), limit = NonlinearitySeries.LimitPrefactor(s.D, s.P, s.Convention);
        return new Outcome(points, law, exact, limit, figure);
    }
}
