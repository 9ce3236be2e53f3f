using System.Diagnostics;
using Probes.Probing;
using Training.Data;
using Training.Model;
using Training.Runs;
using Training.Train;
using static TorchSharp.torch;

namespace Training.Bench;

/// <summary>
/// The per-step cost of probing in an EOS window: from a run's last checkpoint, consecutive GD steps each
/// probed with the run's own probe settings and warm starts, in matvecs and in training steps.
/// </summary>
public static class EosProbeBenchmark
{
    public static int Run(string runPath, int threads, int steps)
    {
        set_num_threads(threads);
        using var run = RunDirectory.Open(runPath);
        var settings = Trainer.ReadSettings(run);
        var checkpoint = Checkpoint.Load(run);
        var (dtype, device) = Trainer.Prepare(settings);
        using var data = CifarDataset.Load(CifarLocator.Resolve(settings.Data), settings.N, 0, dtype, device);
        using var model = Trainer.Build(settings, dtype, device);
        using var suite = new ProbeSuite(new ProbeOptions
        {
            LearningRate = settings.Lr, Kinds = ProbeOptions.ParseKinds(settings.Probes), K = settings.ProbeK,
            Tolerance = settings.ProbeTol, MaxIterations = settings.ProbeMaxIter, Seed = settings.Seed,
        });
        checkpoint.Restore(run, model, suite, device);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 3; i++) GradientDescent.Gradient(model, data.TrainInputs, data.TrainTargets, data.TrainLabels);
        double stepSeconds = clock.Elapsed.TotalSeconds / 3;
        Console.WriteLine($"probes bench --run {runPath}: from step {checkpoint.Step}, n = {settings.N}, {get_num_threads()} threads; one training step {stepSeconds * 1000:F0} ms");
        Console.WriteLine("step  η·λ₁     ntk  hess  q1  qr  (matvecs)  probe s  = training steps");
        for (int t = 0; t < steps; t++)
        {
            using var scope = NewDisposeScope();
            using (var point = new MlpPoint(model, data.TrainInputs, data.TrainTargets))
            {
                var r = suite.Run(point, checkpoint.Step + t);
                Console.WriteLine($"{checkpoint.Step + t,5} {r["eta_ntk_1"],7:F4} {r["ntk_iters"],5} {r["hess_iters"],5} {r["q1_iters"],4} {r["qr_iters"],4}  {r["probe_seconds"],17:F2}  = {r["probe_seconds"] / stepSeconds,6:F1}");
            }
            GradientDescent.Gradient(model, data.TrainInputs, data.TrainTargets, data.TrainLabels);
            GradientDescent.Step(model, settings.Lr);
        }
        return 0;
    }
}
