using Probes.Models;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Training.Model;

/// <summary>
/// A researcher's own network (--model FILE): a TorchScript module saved by PyTorch's torch.jit.script(model).save(path) or
/// torch.jit.trace, loaded by libtorch itself (torch.jit.load), trained by the tool's optimizers and probed by autograd
/// (<see cref="AutogradPoint"/>: every probe kind and column, at several forward passes a product). Inputs are the flattened
/// examples viewed as --input-shape (none: flat); the parameters keep the module's own names, the keys of its state_dict, and a
/// checkpoint holds them as safetensors under those names.
/// </summary>
internal sealed class ScriptedNetwork : Network
{
    private readonly jit.ScriptModule<Tensor, Tensor> module;
    private readonly long[] _inputShape;

    private ScriptedNetwork(jit.ScriptModule<Tensor, Tensor> module, long[] inputShape) : base("scripted")
    {
        // Not registered as a submodule: TorchSharp 0.107 disposes a registered ScriptModule while still enumerating its modules.
        this.module = module;
        _inputShape = [-1, .. inputShape];
    }

    /// <summary>
    /// The module in <paramref name="path"/>, cast to <paramref name="dtype"/>, refused with one line before anything is written
    /// where the probes could not use it: not TorchScript, no parameter or one that does not require grad, inputs of another
    /// shape, outputs other than [n, <paramref name="outputs"/>], or a forward pass that is not a function of θ alone (dropout in
    /// training mode, batch-norm statistics that move).
    /// </summary>
    public static ScriptedNetwork Load(string path, string? inputShape, long features, long outputs, ScalarType dtype, Device device)
    {
        if (!File.Exists(path)) throw new ProbesError($"--model {path}: no such file.");
        long[] shape = inputShape is null ? [] : ParseShape(inputShape);
        if (shape.Length > 0 && shape.Aggregate(1L, (a, b) => a * b) != features)
            throw new ProbesError($"--input-shape {inputShape} holds {shape.Aggregate(1L, (a, b) => a * b)} values; each example has {features}.");
        jit.ScriptModule<Tensor, Tensor> module;
        try { module = jit.load<Tensor, Tensor>(path); }
        catch (Exception e)
        {
            throw new ProbesError($"--model {path} is not a TorchScript module (save one with torch.jit.script(model).save(path)): "
                + FirstLine(e.Message));
        }
        var network = new ScriptedNetwork(module, shape);
        try
        {
            module.to(dtype).to(device);
            network.Check(path, features, outputs, dtype, device);
            return network;
        }
        catch { network.Dispose(); throw; }
    }

    private void Check(string path, long features, long outputs, ScalarType dtype, Device device)
    {
        var parameters = module.named_parameters().ToList();
        if (parameters.Count == 0) throw new ProbesError($"--model {path} has no parameters to train.");
        if (parameters.FirstOrDefault(p => !p.parameter.requires_grad) is { name: not null } frozen)
            throw new ProbesError($"--model {path}: parameter '{frozen.name}' does not require grad; the probes differentiate every "
                + "parameter (make it a buffer, or set requires_grad before saving).");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = randn([2, features], dtype, device, generator: new Generator(0));
        var buffers = module.named_buffers().Select(b => (b.name, Value: b.buffer.clone())).ToList();
        Tensor first, second;
        try { (first, second) = (forward(x), forward(x)); }
        catch (Exception e)
        {
            string shape = string.Join(", ", _inputShape.Skip(1).DefaultIfEmpty(features));
            throw new ProbesError($"--model {path} does not take inputs of shape [2, {shape}] ({FirstLine(e.Message)}); pass --input-shape C,H,W.");
        }
        if (!first.shape.SequenceEqual([2, outputs]))
            throw new ProbesError($"--model {path} gives outputs of shape [{string.Join(", ", first.shape)}] for 2 examples; the targets are "
                + $"[2, {outputs}].");
        if (buffers.FirstOrDefault(b => !Same(b.Value, module.named_buffers().First(n => n.name == b.name).buffer)) is { name: not null } moved)
            throw new ProbesError($"--model {path}: the forward pass changes buffer '{moved.name}' (batch-norm statistics in training mode?); "
                + "the probes need a function of θ alone: save the module after model.eval().");
        if (!Same(first, second))
            throw new ProbesError($"--model {path}: two forward passes at the same θ differ (dropout in training mode?); the probes need a "
                + "function of θ alone: save the module after model.eval().");
    }

    /// <summary>"C,H,W" (or any number of positive sizes) as dimensions; a malformed one is a one-line error.</summary>
    public static long[] ParseShape(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var sizes = parts.Select(p => long.TryParse(p, out long n) && n > 0 ? n : -1).ToArray();
        if (sizes.Length == 0 || sizes.Any(n => n < 0)) throw new ProbesError($"--input-shape '{text}' is not of the form C,H,W (positive sizes).");
        return sizes;
    }

    /// <summary>P of the module in <paramref name="path"/>, for the memory check before a run (0 when it cannot be read: Load says why).</summary>
    public static double CountParameters(string path)
    {
        try
        {
            using var module = jit.load(path);
            return module.parameters().Sum(p => (double)p.numel());
        }
        catch (Exception) { return 0; }
    }

    public override Tensor forward(Tensor x) => module.call(_inputShape.Length > 1 ? x.view(_inputShape) : x);

    public override IEnumerable<(string name, TorchSharp.Modules.Parameter parameter)> named_parameters(bool recurse = true) =>
        module.named_parameters(recurse);

    public override IDifferentiablePoint Point(Tensor inputs, Tensor targets, InputSpan? span, ILoss loss) =>
        new AutogradPoint(() => forward(inputs), [.. parameters()], targets, (int)inputs.shape[0], loss);

    public override IReadOnlyList<(string Name, Tensor Parameter)> PyTorchParameters =>
        [.. module.named_parameters().Select(p => (p.name, (Tensor)p.parameter))];

    /// <summary>θ as safetensors under the module's names: TorchSharp's own format needs registered submodules.</summary>
    public override void SaveWeights(string path)
    {
        var dict = PyTorchParameters.ToDictionary(p => p.Name, p => p.Parameter.detach().cpu().contiguous());
        using var stream = File.Create(path);
        Safetensors.SaveStateDict(stream, dict, leaveOpen: true);
    }

    public override void LoadWeights(string path)
    {
        var loaded = Safetensors.LoadStateDict(path);
        try
        {
            using var _ = no_grad();
            foreach (var (name, target) in PyTorchParameters)
            {
                var source = loaded.ContainsKey(name) ? loaded[name] : throw new ProbesError($"{path} has no parameter '{name}'.");
                if (!source.shape.SequenceEqual(target.shape)) throw new ProbesError($"{path}: '{name}' has another shape than --model's.");
                target.copy_(source.to(target.dtype).to(target.device));
            }
        }
        finally { foreach (var value in loaded.Values) (value as IDisposable)?.Dispose(); }
    }

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();

    protected override void Dispose(bool disposing)
    {
        if (disposing) module.Dispose();
        base.Dispose(disposing);
    }
}
