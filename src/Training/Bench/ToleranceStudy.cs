using Probes.Probing;
using static TorchSharp.torch;

namespace Training.Bench;

/// <summary>
/// What the probe tolerance buys: from a run's last checkpoint, consecutive GD steps each probed by suites
/// that differ only in tolerance (1e-4, 1e-5, 1e-6, and 1e-7 as the reference), each warm-started from its
/// own history. Prints the matvecs of every operator per step, then for every traced column the largest
/// relative deviation from the reference over the steps, so a user can choose a tolerance by its cost and
/// by the accuracy of the very columns they plot.
/// </summary>
public static class ToleranceStudy
{
    private static readonly double[] Tolerances = [1e-4, 1e-5, 1e-6, 1e-7];     // the last is the reference
    private static readonly string[] Columns =
        ["eta_ntk_1", "y", "ntk_2", "z1", "z2", "hess_1", "hess_2", "q1_max", "q1_min", "qr_max", "qr_min", "z1_lin", "z1_nl", "nl_ratio", "dz1_next"];
    private static readonly string[] Operators = ["ntk", "hess", "q1", "qr"];

    public static int Run(string runPath, int threads, int steps)
    {
        using var run = new CheckpointedRun(runPath, threads);
        var suites = Tolerances.Select(run.NewSuite).ToList();
        try
        {
            Console.WriteLine($"probes bench --run {runPath} --tolerance-study: from step {run.Checkpoint.Step}, {steps} steps; reference tolerance {Tolerances[^1]:0e0}");
            Console.WriteLine("step  warm_lag  matvecs ntk/hess/q1/qr at " + string.Join("  ", Tolerances.Select(t => $"{t:0e0}")));
            var deviation = new double[Tolerances.Length - 1, Columns.Length];
            var matvecs = new double[Tolerances.Length, Operators.Length];
            var solves = new int[Operators.Length];
            for (int t = 0; t < steps; t++)
            {
                using var scope = NewDisposeScope();
                using (var point = run.Point())
                {
                    var records = suites.Select(s => s.Run(point, run.Checkpoint.Step + t)).ToList();
                    var reference = records[^1];
                    for (int i = 0; i < Tolerances.Length - 1; i++)
                        for (int c = 0; c < Columns.Length; c++)
                            if (double.IsFinite(reference[Columns[c]]))       // NaN: that probe is off in this run
                                deviation[i, c] = Math.Max(deviation[i, c],
                                    Math.Abs(records[i][Columns[c]] - reference[Columns[c]]) / Math.Max(Math.Abs(reference[Columns[c]]), 1e-300));
                    for (int i = 0; i < Tolerances.Length; i++)
                        for (int o = 0; o < Operators.Length; o++)
                            if (t > 0 && double.IsFinite(records[i][Operators[o] + "_iters"]))      // Q: on its own schedule
                            {
                                matvecs[i, o] += records[i][Operators[o] + "_iters"];
                                if (i == 0) solves[o]++;
                            }
                    Console.WriteLine($"{run.Checkpoint.Step + t,5} {records[0]["warm_lag"],6}    "
                        + string.Join("  ", records.Select(r => string.Join("/", Operators.Select(o => double.IsFinite(r[o + "_iters"]) ? r[o + "_iters"].ToString("F0") : "—")))));
                }
                run.Step();
            }
            Console.WriteLine();
            Console.WriteLine($"largest |x − x_ref| / |x_ref| over the steps (x_ref at {Tolerances[^1]:0e0}):");
            Console.WriteLine($"{"column",-10} " + string.Join(" ", Tolerances[..^1].Select(t => $"{t,10:0e0}")));
            for (int c = 0; c < Columns.Length; c++)
                Console.WriteLine($"{Columns[c],-10} " + string.Join(" ", Enumerable.Range(0, Tolerances.Length - 1).Select(i => $"{deviation[i, c],10:E1}")));
            if (steps > 1)
            {
                Console.WriteLine($"mean matvecs per solve after the first step ({string.Join("/", Operators)}):");
                for (int i = 0; i < Tolerances.Length; i++)
                    Console.WriteLine($"  {Tolerances[i]:0e0}: " + string.Join(" / ", Enumerable.Range(0, Operators.Length).Select(o => (matvecs[i, o] / Math.Max(solves[o], 1)).ToString("F1"))));
            }
            return 0;
        }
        finally
        {
            foreach (var s in suites) s.Dispose();
        }
    }
}
