using System.Text.Json.Nodes;
using Probes.Models;
using TorchSharp;
using Training.Config;
using Training.Data;
using Training.Train;
using static TorchSharp.torch;

namespace Training.Bench;

/// <summary>
/// <c>probes bench --arch ID</c> or <c>--model FILE</c>: what one network's products cost through the point its probes use, in
/// forward-pass equivalents (each timed alongside a forward pass, so that load on the machine hits both alike): the training
/// step, K·u, H·w, Q·w and the third-order ∇³L[u, u]. Figures, never assertions; docs/reproduction.md sets them against
/// PyTorch's own double-backward and forward-mode products on the same network (docs/scripts/pytorch_products.py).
/// </summary>
internal static class NetworkCostBenchmark
{
    public static int Run(string? dataFolder, int n, int threads, JsonObject network)
    {
        set_num_threads(threads);
        var settings = SettingsResolver.Resolve(null, network, "bench") with { N = n, Data = dataFolder };
        var (dtype, device) = Trainer.Prepare(settings with { Threads = threads });
        using var data = CifarDataset.Load(CifarLocator.Resolve(dataFolder), n, 0, dtype, device);
        using var model = Trainer.Build(settings, dtype, device);
        Console.WriteLine($"probes bench {string.Join(" ", network.Select(p => $"--{p.Key} {p.Value}"))}: n = {n}, P = {model.ParameterCount:N0}, "
            + $"{settings.Dtype}, {get_num_threads()} threads, {RunConfig.MachineDescription()}");
        void Forward() { using var s = NewDisposeScope(); using var g = no_grad(); model.forward(data.TrainInputs).sum().ToDouble(); }
        string Cost(Action product)
        {
            var (forward, t) = Benchmark.TimePair(Forward, product);
            return $"{t / forward,6:F2} fwd ({t * 1000:F0} ms)";
        }
        using var point = model.Point(data.TrainInputs, data.TrainTargets, settings.Arch == "fc" ? data.TrainSpan : null,
            ILoss.Named[settings.Loss]);
        var random = new Generator(11);
        var u = randn([point.OutputSize], float64, generator: random);
        var w = randn([point.ParameterSize], float64, generator: random);
        void Scoped(Func<Tensor> product) { using var s = NewDisposeScope(); product().sum().ToDouble(); }
        Console.WriteLine($"  training step {Cost(() => GradientDescent.Gradient(model, data.TrainInputs, data.TrainTargets, data.TrainLabels))}");
        Console.WriteLine($"  K·u   {Cost(() => Scoped(() => point.Ntk(u)))}");
        Console.WriteLine($"  H·w   {Cost(() => Scoped(() => point.LossHessian(w)))}");
        Console.WriteLine($"  Q·w   {Cost(() => Scoped(() => point.OutputHessian(u, w)))}");
        Console.WriteLine($"  ∇³L[w, w] {Cost(() => Scoped(() => point.LossThirdOrder(w, w)))}");
        Console.WriteLine($"  through {point.GetType().Name}; peak resident memory (VmHWM) {PeakMemory.Text()}");
        return 0;
    }
}
