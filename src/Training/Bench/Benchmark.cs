using Training.Config;
using TorchSharp;
using System.Diagnostics;
using Probes.Eigensolvers;
using Probes.Models;
using Probes.Operators;
using Training.Data;
using Training.Model;
using Training.Train;
using static TorchSharp.torch;

namespace Training.Bench;

/// <summary>
/// Prints what things cost, at paper scale by default: forward, forward+backward and the full training step
/// (f32 and f64), the step's overhead, each probe matvec in forward-pass equivalents (fast and generic),
/// cold top-2 NTK and Hessian eigenpairs to relative residual 1e-6, and warm-started NTK probes over
/// consecutive GD steps. Medians of repeated runs after a warm-up; figures, never assertions.
/// </summary>
internal static class Benchmark
{
    public static int Run(string? dataFolder, int n, int threads)
    {
        set_num_threads(threads);
        var folder = CifarLocator.Resolve(dataFolder);
        Console.WriteLine($"probes bench: n = {n}, {get_num_threads()} threads, {RunConfig.MachineDescription()}");
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.Float64 })
        {
            using var data = CifarDataset.Load(folder, n, 0, dtype, CPU);
            using var model = new Mlp(CifarRecords.PixelsPerImage, [200, 200], 10, Activation.Tanh, 0, dtype, CPU);
            double forward = Time(() =>
            {
                using var s = NewDisposeScope(); using var g = no_grad(); model.forward(data.TrainInputs).sum().ToDouble();
            });
            // Forward+backward and the full step interleaved, so that load on the machine hits both alike.
            var (backward, step) = TimePair(
                () =>
                {
                    using var s = NewDisposeScope(); model.zero_grad(); var o = model.forward(data.TrainInputs); (o -
                    data.TrainTargets).pow(2).sum().backward();
                },
                () =>
                {
                    GradientDescent.Gradient(model, data.TrainInputs, data.TrainTargets, data.TrainLabels);
                    GradientDescent.ParameterNorm(model);
                    GradientDescent.Step(model, 1e-12);   // a real update, too small to move the benchmark
                });
            Console.WriteLine($"{dtype,-8} forward {Ms(forward)}  forward+backward (bare autograd) {Ms(backward)}  training step {Ms(step)}  " +
                              $"step overhead over forward+backward {100 * (step / backward - 1):F1}%");
            if (dtype == ScalarType.Float32)
            {
                OptimizerCosts(model, data);
                ProbeCosts(model, data);
            }
        }
        Console.WriteLine($"peak resident memory (VmHWM) {PeakMemory.Text()}");
        return 0;
    }

    /// <summary>
    /// Each optimizer's training step (gradient and update) against a GD step timed alongside it: the update's P-sized
    /// operations (buffers, moments, the division by √v̂ + ε) over the forward and backward pass. η is tiny: the
    /// network barely moves.
    /// </summary>
    private static void OptimizerCosts(Mlp model, CifarDataset data)
    {
        Action StepOf(string name)
        {
            var optimizer = Optimizers.Optimizer.For(new TrainSettings { Optimizer = name, Lr = 1e-12 });
            return () =>
            {
                GradientDescent.Gradient(model, data.TrainInputs, data.TrainTargets, data.TrainLabels);
                optimizer.Step(model);
            };
        }
        var gd = StepOf("gd");
        var parts = Optimizers.Optimizer.Names.Where(n => n != "gd").Select(name =>
        {
            var (plain, other) = TimePair(gd, StepOf(name));
            return $"{name} {other / plain:F3}× ({Ms(other)} against {Ms(plain)})";
        });
        Console.WriteLine($"float32 training step by optimizer, against GD's step timed alongside: {string.Join("; ", parts)}");
    }

    private static void ProbeCosts(Mlp model, CifarDataset data)
    {
        using var fast = new MlpPoint(model, data.TrainInputs, data.TrainTargets);
        using var generic = new AutogradPoint(() => model.forward(data.TrainInputs), model.parameters().ToList(), data.TrainTargets,
            (int)data.TrainInputs.shape[0]);
        var random = new Generator(11);
        var u = randn([fast.OutputSize], float64, generator: random);
        var w = randn([fast.ParameterSize], float64, generator: random);
        // Each product is timed interleaved with a forward pass, so that load on the machine hits both alike.
        void Forward() { using var s = NewDisposeScope(); using var g = no_grad(); model.forward(data.TrainInputs).sum().ToDouble(); }
        string F(Func<Tensor> product)
        {
            var (fwd, t) = TimePair(Forward, () => { using var s = NewDisposeScope(); product().sum().ToDouble(); });
            return $"{t / fwd,5:F2} fwd ({Ms(t)})";
        }
        Console.WriteLine($"float32 matvecs in forward-pass equivalents (each against a forward timed alongside it):");
        Console.WriteLine($"  K·u  fast {F(() => fast.Ntk(u))}   generic {F(() => ((IDifferentiablePoint)generic).Ntk(u))}");
        Console.WriteLine($"  H·w  fast {F(() => fast.LossHessian(w))}   generic {F(() => ((IDifferentiablePoint)generic).LossHessian(w))}");
        Console.WriteLine($"  Q₁·w fast {F(() => fast.OutputHessian(u, w))}   generic {F(() => generic.OutputHessian(u, w))}");

        var options = new LanczosOptions { Count = 2, Tolerance = 1e-6 };
        foreach (var (name, op) in new[] { ("NTK", ModelOperators.Ntk(fast)), ("Hessian", ModelOperators.LossHessian(fast)) })
        {
            var clock = Stopwatch.StartNew();
            using var result = LanczosSolver.Solve(op, options);
            Console.WriteLine($"  cold top-2 {name,-7}: λ = {result.Top[0].Value:G6}, {result.Top[1].Value:G6}; {result.Iterations} matvecs, " +
                              $"{clock.Elapsed.TotalSeconds:F2} s, residual {result.MaxResidual:E1}, converged {result.Converged}");
        }

        // Warm starts across GD steps (from the init here, not from an EOS window: a lower bound on the gain).
        Tensor[] previous = [];
        double stepTime = Time(() => GradientDescent.Gradient(model, data.TrainInputs, data.TrainTargets, data.TrainLabels), repeats: 1);
        for (int t = 0; t < 4; t++)
        {
            GradientDescent.Gradient(model, data.TrainInputs, data.TrainTargets, data.TrainLabels);
            GradientDescent.Step(model, 0.01);
            using var point = new MlpPoint(model, data.TrainInputs, data.TrainTargets);
            var op = ModelOperators.Ntk(point);
            var clock = Stopwatch.StartNew();
            using var result = LanczosSolver.Solve(op, options with { WarmStart = previous.Length > 0 ? previous : null });
            Console.WriteLine($"  step {t + 1}: top-2 NTK {(previous.Length > 0 ? "warm" : "cold")}: {result.Iterations} matvecs, " +
                              $"{clock.Elapsed.TotalSeconds:F2} s = {clock.Elapsed.TotalSeconds / stepTime:F1} training steps");
            foreach (var p in previous) p.Dispose();
            previous = result.Top.Select(p => p.Vector.clone()).ToArray();
        }
    }


    /// <summary>Median seconds of <paramref name="repeats"/> runs after two warm-up runs.</summary>
    private static double Time(Action action, int repeats = 5)
    {
        action();
        action();
        var times = new List<double>();
        for (int i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            times.Add(clock.Elapsed.TotalSeconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    /// <summary>Medians of eleven interleaved timings of each, after one warm-up of both: load on the machine hits both alike.</summary>
    internal static (double, double) TimePair(Action a, Action b)
    {
        a(); b();
        var ta = new List<double>();
        var tb = new List<double>();
        for (int i = 0; i < 11; i++)
        {
            var clock = Stopwatch.StartNew();
            a();
            ta.Add(clock.Elapsed.TotalSeconds);
            clock.Restart();
            b();
            tb.Add(clock.Elapsed.TotalSeconds);
        }
        ta.Sort();
        tb.Sort();
        return (ta[5], tb[5]);
    }

    private static string Ms(double seconds) => $"{seconds * 1000:F1} ms";
}
