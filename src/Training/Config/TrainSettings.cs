using System.Text.Json.Serialization;
using ProbeOptions = Probes.Probing.ProbeOptions;
using LanczosOptions = Probes.Eigensolvers.LanczosOptions;
using TensorFile = Training.Data.TensorFile;
using CifarRecords = Training.Data.CifarRecords;

namespace Training.Config;

/// <summary>
/// Every setting of a training run. JSON keys are the flag names (kebab-case), so a config file and the
/// command line read the same; the resolved settings are written to the run's config.json.
/// </summary>
internal sealed record TrainSettings
{
    public string Name { get; init; } = "run";
    public string? Preset { get; init; }
    public string? Data { get; init; }
    public string? Out { get; init; }
    /// <summary>A PyTorch state_dict (.safetensors or torch.save) to start from instead of the seeded init.</summary>
    public string? InitWeights { get; init; }

    // Data and model. The defaults reach the edge of stability within minutes on 2 cores (measured: n = 500, η = 0.02 sharpens
    // from η·λ₁ 1.51 to 2 by step 250 and hovers at 2.13 ± 0.05 after; 600 steps with every-step probes from there take 1:53 and 0.75 GB);
    // the paper's n = 5,000, η = 0.01 needs ~4,400 steps to get there (--preset paper, paper-eos).
    public int N { get; init; } = 500;
    public int? NTest { get; init; }
    /// <summary>
    /// fc (the paper's fully connected network), cnn (Cohen et al.'s convnet) or script (the TorchScript module --model names);
    /// Training/Model/Architecture.cs.
    /// </summary>
    public string Arch { get; init; } = "fc";
    /// <summary>A TorchScript module saved by PyTorch (torch.jit.script or trace): the network, for --arch script.</summary>
    public string? Model { get; init; }
    /// <summary>"C,H,W": the shape each flattened example is viewed as before --model's module sees it (empty: flat).</summary>
    public string? InputShape { get; init; }
    public int Width { get; init; } = 200;
    public int Depth { get; init; } = 2;
    public string Activation { get; init; } = "tanh";
    public long Seed { get; init; } = 0;

    // Gradient descent.
    public double Lr { get; init; } = 0.02;
    public int Steps { get; init; } = 600;
    /// <summary>gd, momentum, nesterov, rmsprop or adam, each with PyTorch's semantics (Training/Optimizers).</summary>
    public string Optimizer { get; init; } = "gd";
    /// <summary>mse (the paper's ½‖f − y‖², mean over examples) or ce (softmax cross-entropy, mean over examples).</summary>
    public string Loss { get; init; } = "mse";
    /// <summary>β of heavy-ball and Nesterov momentum (torch.optim.SGD's momentum).</summary>
    public double Momentum { get; init; } = 0.9;
    /// <summary>Adam's β₁.</summary>
    public double Beta1 { get; init; } = 0.9;
    /// <summary>Adam's β₂ or RMSprop's smoothing constant α; empty: PyTorch's default (0.999 for Adam, 0.99 for RMSprop).</summary>
    public double? Beta2 { get; init; }
    /// <summary>ε of Adam and RMSprop, added to √v.</summary>
    public double Eps { get; init; } = 1e-8;
    public string Dtype { get; init; } = "float32";
    public string Device { get; init; } = "cpu";
    public int? Threads { get; init; }
    public double? TargetLoss { get; init; }
    public double? TargetAccuracy { get; init; }
    public int TestEvery { get; init; } = 10;
    public int LogEvery { get; init; } = 50;
    public int CheckpointEvery { get; init; } = 500;

    // Probes.
    // On from the first command: sparse probes show the sharpening, every step near the threshold shows EOS.
    public int ProbeEvery { get; init; } = 50;
    public List<string> ProbeWindow { get; init; } = new();
    public double? ProbeAbove { get; init; } = 1.9;
    public int ProbeK { get; init; } = ProbeOptions.DefaultK;
    public double ProbeTol { get; init; } = LanczosOptions.DefaultTolerance;
    public double ProbeHessTol { get; init; } = ProbeOptions.DefaultHessianTolerance;
    public double ProbeQTol { get; init; } = ProbeOptions.DefaultQTolerance;
    public int ProbeMaxIter { get; init; } = LanczosOptions.DefaultMaxIterations;
    public int ProbeDeflate { get; init; } = ProbeOptions.DefaultDeflation;
    public int ProbeQEvery { get; init; } = ProbeOptions.DefaultQEvery;
    public int ProbeHessEvery { get; init; } = ProbeOptions.DefaultHessianEvery;
    /// <summary>The probe kinds: all but selfstab by default (its third-order product is opt-in, for its cost).</summary>
    public List<string> Probes { get; init; } = ["ntk", "hessian", "q1", "ratio"];
    public List<int> SpectraAt { get; init; } = new();
    public int SpectraM { get; init; } = ProbeOptions.DefaultSpectrumSize;
    public int SpectraDensity { get; init; } = 0;
    public int SpectraDensitySteps { get; init; } = ProbeOptions.DefaultDensitySteps;

    /// <summary>Outputs per example: CIFAR-10's 10 classes, or the width of a tensor file's targets (--data FILE).</summary>
    [JsonIgnore] public int Outputs => TensorFile.Is(Data) ? (int)TensorFile.Shape(Data!).Outputs : CifarRecords.Classes;
    /// <summary>Whether <see cref="Outputs"/> and <see cref="Features"/> can be read here: a run read elsewhere may lack its data file.</summary>
    [JsonIgnore] public bool DataShapeKnown => !TensorFile.Is(Data) || File.Exists(Data);
    /// <summary>Values per example: CIFAR-10's 3 × 32 × 32, or a tensor file's.</summary>
    [JsonIgnore] public long Features => TensorFile.Is(Data) ? TensorFile.Shape(Data!).Features : CifarRecords.PixelsPerImage;
}
