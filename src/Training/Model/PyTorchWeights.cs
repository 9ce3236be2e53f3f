using System.Collections;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Training.Model;

/// <summary>
/// θ as PyTorch reads it: a state_dict under the names of the nn.Sequential of the network's layers
/// (<see cref="Network.PyTorchParameters"/>: "0.weight", "0.bias", "2.weight", … for the MLP), as safetensors and as a
/// <c>torch.load</c>-able pickle, both through TorchSharp.PyBridge. Values are the network's own, in its dtype.
/// </summary>
internal static class PyTorchWeights
{
    public const string SafetensorsFile = "weights.safetensors", PickleFile = "weights.pt";

    public static Dictionary<string, Tensor> StateDict(Network model) =>
        model.PyTorchParameters.ToDictionary(p => p.Name, p => p.Parameter.detach().cpu().contiguous());

    /// <summary>Whether a finished run's weights files are both there.</summary>
    public static bool Written(Runs.RunDirectory run) => File.Exists(run.File(SafetensorsFile)) && File.Exists(run.File(PickleFile));

    /// <summary>Writes both files into <paramref name="run"/>, each atomically.</summary>
    public static void Write(Runs.RunDirectory run, Network model) => Write(model, run.File(SafetensorsFile), run.File(PickleFile));

    /// <summary>Writes θ as a safetensors file and as a torch.save pickle, each atomically.</summary>
    public static void Write(Network model, string safetensors, string pickle)
    {
        var dict = StateDict(model);
        Runs.RunDirectory.WriteAtomically(safetensors, s => Safetensors.SaveStateDict(s, dict, leaveOpen: true));
        Runs.RunDirectory.WriteAtomically(pickle, s => PyTorchPickler.PickleStateDict(s, dict, leaveOpen: true));
    }

    /// <summary>
    /// Sets θ from a PyTorch state_dict file (.safetensors, or a torch.save pickle: .pt, .pth, .bin) of the
    /// same architecture; any other name, a missing or extra key, or a wrong shape is one line naming it.
    /// </summary>
    public static void Load(Network model, string path)
    {
        if (!File.Exists(path)) throw new ProbesError($"--init-weights {path}: no such file.");
        IDictionary loaded;
        try
        {
            loaded = Path.GetExtension(path).ToLowerInvariant() switch
            {
                ".safetensors" => Safetensors.LoadStateDict(path),
                ".pt" or ".pth" or ".bin" => PyTorchUnpickler.UnpickleStateDict(path),
                var other => throw new ProbesError($"--init-weights {path}: unknown format '{other}' (expected .safetensors, .pt, .pth or .bin)."),
            };
        }
        catch (Exception e) when (e is not ProbesError)
        {
            throw new ProbesError($"--init-weights {path} is not a readable state_dict ({e.GetType().Name}: {e.Message.Split('\n')[0]}).");
        }
        try { Copy(model, loaded, path); }
        finally { foreach (var value in loaded.Values) (value as IDisposable)?.Dispose(); }   // the file's tensors, once copied
    }

    private static void Copy(Network model, IDictionary loaded, string path)
    {
        var expected = StateDict(model);
        var names = loaded.Keys.Cast<object>().Select(k => k.ToString()!).ToHashSet();
        var missing = expected.Keys.Where(k => !names.Contains(k)).ToList();
        var extra = names.Where(k => !expected.ContainsKey(k)).ToList();
        if (missing.Count > 0 || extra.Count > 0)
            throw new ProbesError($"--init-weights {path}: keys do not match nn.Sequential of this network "
                + $"(missing {string.Join(", ", missing.DefaultIfEmpty("none"))}; unexpected {string.Join(", ", extra.DefaultIfEmpty("none"))}).");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var (name, target) in model.PyTorchParameters)
        {
            var source = (Tensor)loaded[name]!;
            if (!source.shape.SequenceEqual(target.shape))
                throw new ProbesError($"--init-weights {path}: {name} has shape [{string.Join(", ", source.shape)}], "
                    + $"this network needs [{string.Join(", ", target.shape)}].");
            if (!source.is_floating_point())
                throw new ProbesError($"--init-weights {path}: {name} holds {source.dtype}, not floating-point values.");
            target.copy_(source.to(target.dtype).to(target.device));
        }
    }
}
