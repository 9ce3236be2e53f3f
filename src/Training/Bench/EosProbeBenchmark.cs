using Probes.Probing;
using System.Diagnostics;
using Training.Train;
using static TorchSharp.torch;

namespace Training.Bench;

/// <summary>
/// The per-step cost of probing in an EOS window: from a run's last checkpoint, consecutive GD steps each
/// probed with the run's own probe settings (or another tolerance) and warm starts, in matvecs and in
/// training steps. warm_lag: 1 from the last probe, 2 from t − 2, 4 extrapolated from t − 2 and t − 4;
/// "est" is the part of the NTK's and the Hessian's matvecs spent estimating their deflation spaces (once,
/// then when they drift).
/// </summary>
internal static class EosProbeBenchmark
{
    /// <param name="stride">Training steps between probes: 1 probes consecutive steps (an EOS window), 50 is the sparse schedule of
    /// a run's sharpening phase, where the probes' warm starts are 50 steps old.</param>
    public static int Run(string runPath, int threads, int steps, ProbeTolerances? tolerances = null, int stride = 1)
    {
        using var run = new CheckpointedRun(runPath, threads, tolerances);
        var (settings, checkpoint, data, model, suite) = (run.Settings, run.Checkpoint, run.Data, run.Model, run.Suite);
        double stepSeconds = TrainingStepSeconds(model, data);
        Console.WriteLine($"probes bench --run {runPath}: from step {checkpoint.Step}, n = {settings.N}, {get_num_threads()} threads, "
            + $"tolerances {tolerances?.Or(run.Own) ?? run.Own}; "
            + $"one training step {stepSeconds * 1000:F0} ms");
        Console.WriteLine($"a probe every {stride} step{(stride == 1 ? "" : "s")}");
        Console.WriteLine("step  η·λ₁     z₁          ntk (est)  hess (est)  q1  qr  (matvecs)  warm_lag  probe s  = training steps");
        var costs = new List<(double Steps, bool WithQ, bool Estimated, bool Sharpening)>();
        double previousEta = double.NaN;
        for (int t = 0; t < steps; t++)
        {
            using var scope = NewDisposeScope();
            int step = checkpoint.Step + t * stride;
            using (var point = run.Point())
            {
                var r = suite.Run(point, step);
                double cost = r[ProbeColumns.ProbeSeconds] / stepSeconds;
                costs.Add((cost, r["q1_iters"] > 0, r["ntk_deflation_iters"] > 0 || r["hess_deflation_iters"] > 0,
                    r[ProbeColumns.EtaNtk1] > previousEta));
                previousEta = r[ProbeColumns.EtaNtk1];
                Console.WriteLine($"{step,5} {r[ProbeColumns.EtaNtk1],7:F4} {r[ProbeColumns.Z1],11:E3} {r["ntk_iters"],5} "
                    + $"({r["ntk_deflation_iters"],3}) {r["hess_iters"],5} ({r["hess_deflation_iters"],3}) {r["q1_iters"],4} {r["qr_iters"],4}  "
                        + $"{r[ProbeColumns.WarmLag],9} {r[ProbeColumns.ProbeSeconds],8:F2}  = {cost,6:F1}"
                        + (double.IsFinite(r[ProbeColumns.SelfStabilizationSeconds])
                            ? $"  (selfstab {r[ProbeColumns.SelfStabilizationSeconds] / stepSeconds:F1})" : ""));
            }
            for (int k = 0; k < stride; k++) run.Step();
        }
        // The first probe starts cold (no warm start, both deflation spaces estimated): the means leave it out. The second line
        // is the steady cost while the network sharpens (η·λ₁ above the last probe's), without the probes that (re-)estimated a
        // deflation space; the early transient where λ₁ falls, and the estimates, are what the first line adds.
        foreach (var (withQ, what) in new[] { (false, "without Q"), (true, "with Q") })
        {
            var warm = costs.Skip(1).Where(c => c.WithQ == withQ).ToList();
            Console.WriteLine(warm.Count == 0 ? $"no warm probe {what}" : $"{what}: {Summary(warm.Select(c => c.Steps).ToList())}");
            var steady = warm.Where(c => c.Sharpening && !c.Estimated).Select(c => c.Steps).ToList();
            if (steady.Count > 0 && steady.Count < warm.Count)
                Console.WriteLine($"  {what}, while η·λ₁ rises, none estimating a deflation space: {Summary(steady)}");
        }
        Console.WriteLine($"peak resident memory (VmHWM) {PeakMemory.Text()}");
        return 0;
    }

    private static string Summary(List<double> costs) =>
        $"{costs.Count} warm probe{(costs.Count == 1 ? "" : "s")}, mean {costs.Average():F1} training steps (median "
        + $"{costs.Order().ElementAt(costs.Count / 2):F1}, max {costs.Max():F1})";

    /// <summary>The median of ten gradient evaluations (what a training step costs), after one warm-up: a single timing swings 2× on a loaded
    /// machine.</summary>
    public static double TrainingStepSeconds(Model.Network model, Data.CifarDataset data)
    {
        var times = new List<double>();
        for (int i = 0; i < 11; i++)
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            GradientDescent.Gradient(model, data.TrainInputs, data.TrainTargets, data.TrainLabels);
            times.Add(clock.Elapsed.TotalSeconds);
        }
        return times.Skip(1).Order().ElementAt(5);
    }
}
