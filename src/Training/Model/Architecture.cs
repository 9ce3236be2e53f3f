using Training.Config;
using Training.Data;
using static TorchSharp.torch;

namespace Training.Model;

/// <summary>
/// The built-in networks, by --arch: fc, the fully connected network (--width units, --depth hidden layers; the paper's), and cnn,
/// Cohen et al.'s convnet (--width channels, --depth conv blocks). Cohen et al.'s ids name an architecture and its activation
/// together (fc-tanh, fc-relu, fc-elu, cnn-relu, cnn-tanh, cnn-elu, as in locuslab/edge-of-stability's archs.py) and are read as
/// --arch and --activation. The one place these names map to networks.
/// </summary>
internal static class Architecture
{
    public static readonly string[] Names = ["fc", "cnn", "script"];

    /// <summary>Channels of Cohen et al.'s convnet, the cnn's width unless --width is given.</summary>
    public const int CnnWidth = 32;

    /// <summary>An id such as cnn-relu as (architecture, activation); null for a plain architecture name or anything else.</summary>
    public static (string Arch, string Activation)? Split(string id)
    {
        int dash = id.IndexOf('-');
        if (dash < 0 || !Names.Contains(id[..dash])) return null;
        return (id[..dash], id[(dash + 1)..]);
    }

    public static Network Build(TrainSettings s, ScalarType dtype, Device device)
    {
        var activation = ActivationFunctions.Parse(s.Activation);
        return s.Arch switch
        {
            "fc" => new Mlp((int)s.Features, Enumerable.Repeat(s.Width, s.Depth).ToList(), s.Outputs, activation, s.Seed, dtype, device),
            "cnn" => new Cnn(CifarRecords.Channels, CifarRecords.Side, s.Width, s.Depth, s.Outputs, activation, s.Seed, dtype, device),
            "script" => ScriptedNetwork.Load(s.Model!, s.InputShape, s.Features, s.Outputs, dtype, device),
            var other => throw new ProbesError($"unknown arch '{other}' (known: {string.Join(", ", Names)}, or fc-tanh, cnn-relu, …)."),
        };
    }

    /// <summary>P of the network the settings describe, computed without building it (as a double: it may not fit a long).</summary>
    public static double ParameterCount(TrainSettings s)
    {
        double inputs = s.Features, width = s.Width;
        if (s.Arch == "script") return ScriptedNetwork.CountParameters(s.Model!);
        if (s.Arch == "cnn")
        {
            double side = CifarRecords.Side >> s.Depth;
            return CifarRecords.Channels * width * 9 + width + (s.Depth - 1) * (width * width * 9 + width) + width * side * side * s.Outputs
                + s.Outputs;
        }
        return s.Depth == 0 ? inputs * s.Outputs + s.Outputs
            : inputs * width + width + (s.Depth - 1) * (width * width + width) + width * s.Outputs + s.Outputs;
    }

    /// <summary>Floats one example's hidden activations take in a forward pass (what a batch of n holds beside its inputs).</summary>
    public static double HiddenFloats(TrainSettings s) => s.Arch == "script" ? 0 : s.Arch == "cnn"
        ? Enumerable.Range(0, s.Depth).Sum(l => (double)s.Width * Math.Pow(CifarRecords.Side >> l, 2))
        : (double)s.Width * Math.Max(s.Depth, 1);
}
