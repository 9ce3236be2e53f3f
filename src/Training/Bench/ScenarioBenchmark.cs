using Probes.Models;
using System.Diagnostics;
using Probes.Probing;
using Training.Config;
using Training.Data;
using Training.Model;
using Training.Train;
using static TorchSharp.torch;

namespace Training.Bench;

/// <summary>
/// What probing costs a new run at several sizes, each in a process of its own so that its peak resident
/// memory (from the OS) is its own: from the paper's initialisation, a cold probe of every kind at step 0,
/// then consecutive GD steps probed step by step with the default settings (the first pays for the
/// deflation spaces; Q₁ and Q_r run at multiples of --probe-q-every). Costs are in matvecs, seconds and
/// training steps timed in the same process.
/// </summary>
internal static class ScenarioBenchmark
{
    public static readonly int[] Sizes = [200, 500, 5000];

    /// <summary>Runs each size in a child process (<c>bench --scenario N</c>) and passes its lines through.</summary>
    public static int Run(string? dataFolder, int threads, int steps)
    {
        var self = Environment.ProcessPath ?? throw new ProbesError("cannot find this program's path to start the scenarios.");
        var prefix = Path.GetFileNameWithoutExtension(self) == "dotnet" ? [Environment.GetCommandLineArgs()[0]] : Array.Empty<string>();
        foreach (var n in Sizes)
        {
            var start = new ProcessStartInfo(self) { RedirectStandardOutput = false, UseShellExecute = false };
            foreach (var a in prefix.Concat(["bench", "--scenario", n.ToString(), "--threads", threads.ToString(), "--probe-steps",
                steps.ToString()]))
                start.ArgumentList.Add(a);
            if (dataFolder is not null) { start.ArgumentList.Add("--data"); start.ArgumentList.Add(dataFolder); }
            using var child = Process.Start(start)!;
            child.WaitForExit();
            if (child.ExitCode != 0) return child.ExitCode;
        }
        return 0;
    }

    /// <summary>One size, in this process.</summary>
    public static int RunOne(string? dataFolder, int n, int threads, int steps)
    {
        set_num_threads(threads);
        var settings = new TrainSettings { N = n, Data = dataFolder, ProbeEvery = 1 };
        var (dtype, device) = Trainer.Prepare(settings);
        using var data = CifarDataset.Load(CifarLocator.Resolve(dataFolder), n, 0, dtype, device);
        using var model = Trainer.Build(settings, dtype, device);
        using var suite = new ProbeSuite(Trainer.ProbeOptionsOf(settings));
        double stepSeconds = EosProbeBenchmark.TrainingStepSeconds(model, data);
        Console.WriteLine($"scenario n = {n}: {get_num_threads()} threads, one training step {stepSeconds * 1000:F0} ms, peak RSS before probing "
            + $"{PeakMemory.Text()}");
        Console.WriteLine("  step  kinds          ntk (est)  hess (est)   q1   qr  probe s  = training steps");
        for (int step = 0; step <= steps; step++)
        {
            using var scope = NewDisposeScope();
            GradientDescent.Gradient(model, data.TrainInputs, data.TrainTargets, data.TrainLabels);
            using (var point = model.Point(data.TrainInputs, data.TrainTargets, data.TrainSpan, SquaredLoss.Instance))
            {
                var r = suite.Run(point, step);
                string kinds = double.IsFinite(r[ProbeColumns.Q1Max]) ? "all" : "ntk,hess,ratio";
                Console.WriteLine($"  {step,4}  {kinds,-14} {r["ntk_iters"],4} ({r["ntk_deflation_iters"],3}) {r["hess_iters"],5} "
                    + $"({r["hess_deflation_iters"],3}) {Cell(r["q1_iters"]),4} {Cell(r["qr_iters"]),4} {r[ProbeColumns.ProbeSeconds],8:F2}  = "
                        + $"{r[ProbeColumns.ProbeSeconds] / stepSeconds,6:F1}");
            }
            GradientDescent.Step(model, settings.Lr);
        }
        Console.WriteLine($"  peak resident memory (VmHWM) {PeakMemory.Text()}");
        return 0;
    }

    private static string Cell(double v) => double.IsFinite(v) ? v.ToString("F0") : "—";
}
