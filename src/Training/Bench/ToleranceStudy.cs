using Probes.Probing;
using static TorchSharp.torch;

namespace Training.Bench;

/// <summary>
/// What the probe tolerance buys: from a run's last checkpoint, consecutive GD steps of the run, each probed
/// by suites that differ only in tolerance (1e-4, 1e-5, 1e-6 for every solve, then the run's own NTK/Hessian
/// and Q tolerances) on a float64 copy of the network at the same θ, against a 1e-8 reference on that copy;
/// and, for a float32 run, at the run's own tolerances on its float32 network, which adds float32 rounding
/// to the solver's error. Each suite warm-starts from its own history. Prints the
/// matvecs of every operator per step, then for every traced column the largest relative deviation from the
/// reference over the steps, so a user can choose a tolerance by its cost and by the accuracy of the very
/// columns they plot.
/// </summary>
internal static class ToleranceStudy
{
    public const double Reference = 1e-8;
    private static readonly double[] Tolerances = [1e-4, 1e-5, 1e-6];           // every solve, on the float64 copy
    private static readonly string[] Columns =
    [
        ProbeColumns.EtaNtk1, "y", "ntk_2", ProbeColumns.Z1, ProbeColumns.Z2, "hess_1", "hess_2", ProbeColumns.Q1Max, ProbeColumns.Q1Min,
            ProbeColumns.QrMax, ProbeColumns.QrMin,
        ProbeColumns.Z1Linear, ProbeColumns.Z1Second, ProbeColumns.NonlinearityRatio, ProbeColumns.Z1Realised, ProbeColumns.Z1SecondFull,
            ProbeColumns.NonlinearityRatioFull, ProbeColumns.NonlinearityRatioTwoStep,
    ];
    private static readonly string[] Operators = ["ntk", "hess", "q1", "qr"];

    public static int Run(string runPath, int threads, int steps)
    {
        using var run = new CheckpointedRun(runPath, threads);
        using var twin = new Float64Twin(run);
        bool float32 = run.Model.parameters().First().dtype == ScalarType.Float32;
        // Rows: the uniform float64 tolerances, the run's own (float64, then its own dtype for float32 runs), then the reference.
        var own = run.Own;
        (string Label, ProbeTolerances Tolerances)[] rows =
        [
            .. Tolerances.Select(t => ($"{t:0e0}", ProbeTolerances.All(t))), ($"{own.Ntk:0e0}/h{own.Hessian:0e0}/q{own.Q:0e0}", own),
            .. float32 ? new[] { ("f32 run's", own) } : [],
            ($"ref {Reference:0e0}", ProbeTolerances.All(Reference)),
        ];
        var labels = rows.Select(r => r.Label).ToArray();
        var suites = rows.Select(r => run.NewSuite(r.Tolerances)).ToList();
        int onRunNetwork = float32 ? rows.Length - 2 : -1;
        try
        {
            Console.WriteLine($"probes bench --run {runPath} --tolerance-study: from step {run.Checkpoint.Step}, {steps} steps; "
                + $"reference {Reference:0e0} on a float64 copy at the same θ");
            Console.WriteLine("step  warm_lag  matvecs ntk/hess/q1/qr at " + string.Join("  ", labels));
            var deviation = new double[labels.Length - 1, Columns.Length];
            var matvecs = new double[labels.Length, Operators.Length];
            var solves = new int[Operators.Length];
            for (int t = 0; t < steps; t++)
            {
                using var scope = NewDisposeScope();
                int step = run.Checkpoint.Step + t;
                using (var p64 = twin.Point())
                using (var p32 = run.Point())
                {
                    var records = suites.Select((s, i) => s.Run(i == onRunNetwork ? p32 : p64, step)).ToList();
                    var reference = records[^1];
                    for (int i = 0; i < labels.Length - 1; i++)
                        for (int c = 0; c < Columns.Length; c++)
                            if (double.IsFinite(reference[Columns[c]]))       // NaN: that probe is off in this run
                                deviation[i, c] = Math.Max(deviation[i, c],
                                    Math.Abs(records[i][Columns[c]] - reference[Columns[c]]) / Math.Max(Math.Abs(reference[Columns[c]]), 1e-300));
                    for (int i = 0; i < labels.Length; i++)
                        for (int o = 0; o < Operators.Length; o++)
                            if (t > 0 && double.IsFinite(records[i][Operators[o] + "_iters"]))      // Q: on its own schedule
                            {
                                matvecs[i, o] += records[i][Operators[o] + "_iters"];
                                if (i == 0) solves[o]++;
                            }
                    Console.WriteLine($"{step,5} {records[0][ProbeColumns.WarmLag],6}    "
                        + string.Join("  ", records.Select(r => string.Join("/",
                            Operators.Select(o => double.IsFinite(r[o + "_iters"]) ? r[o + "_iters"].ToString("F0") : "—")))));
                }
                run.Step();
                twin.Sync();
            }
            Console.WriteLine();
            Console.WriteLine($"largest |x − x_ref| / |x_ref| over the steps (x_ref at {Reference:0e0}, float64):");
            Console.WriteLine($"{"column",-19} " + string.Join(" ", labels[..^1].Select(l => $"{l,10}")));
            for (int c = 0; c < Columns.Length; c++)
                Console.WriteLine($"{Columns[c],-19} " + string.Join(" ", Enumerable.Range(0,
                    labels.Length - 1).Select(i => $"{deviation[i, c],10:E1}")));
            if (steps > 1)
            {
                Console.WriteLine($"mean matvecs per solve after the first step ({string.Join("/", Operators)}):");
                for (int i = 0; i < labels.Length; i++)
                    Console.WriteLine($"  {labels[i],-11}: " + string.Join(" / ", Enumerable.Range(0, Operators.Length).Select(o => (matvecs[i,
                        o] / Math.Max(solves[o], 1)).ToString("F1"))));
            }
            return 0;
        }
        finally
        {
            foreach (var s in suites) s.Dispose();
        }
    }
}
