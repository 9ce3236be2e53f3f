using Training.Model;

namespace Training.Config;

/// <summary>Checks a resolved <see cref="TrainSettings"/> before anything is written.</summary>
internal static class SettingsValidator
{
    public static readonly string[] KnownProbes = [.. Probes.Probing.ProbeOptions.KindNames.Keys];

    /// <summary>The loosest probe tolerance accepted: at 2 the solves "converge" after one block (measured: ntk_2 = 32.3, true 68.9).</summary>
    public const double MaxProbeTolerance = 1e-2;

    public static void Validate(TrainSettings s)
    {
        Require(s.N > 0, $"n must be positive, got {s.N}.");
        Require(s.NTest is null or >= 0, $"n-test must be ≥ 0, got {s.NTest}.");
        Require(s.Lr > 0 && double.IsFinite(s.Lr), $"lr must be a positive number, got {s.Lr}.");
        Require(s.Steps >= 0, $"steps must be ≥ 0, got {s.Steps}.");
        Require(Probes.Models.ILoss.Named.ContainsKey(s.Loss),
            $"unknown loss '{s.Loss}' (known: {string.Join(", ", Probes.Models.ILoss.Named.Keys)}).");
        Require(Optimizers.Optimizer.Names.Contains(s.Optimizer),
            $"unknown optimizer '{s.Optimizer}' (known: {string.Join(", ", Optimizers.Optimizer.Names)}).");
        Require(s.Momentum is >= 0 and < 1, $"momentum must be in [0, 1), got {s.Momentum}.");
        Require(s.Beta1 is >= 0 and < 1, $"beta1 must be in [0, 1), got {s.Beta1}.");
        Require(s.Beta2 is null or (>= 0 and < 1), $"beta2 must be in [0, 1), got {s.Beta2}.");
        Require(s.Eps > 0 && double.IsFinite(s.Eps), $"eps must be a positive number, got {s.Eps}.");
        Require(Model.Architecture.Names.Contains(s.Arch),
            $"unknown arch '{s.Arch}' (known: {string.Join(", ", Model.Architecture.Names)}, or Cohen et al.'s fc-tanh, cnn-relu, …).");
        Require(s.Width > 0, $"width must be positive, got {s.Width}.");
        Require(s.Depth >= 0, $"depth (hidden layers) must be ≥ 0, got {s.Depth}.");
        Require(s.Arch == "script" == (s.Model is not null), s.Model is null
            ? "--arch script trains the TorchScript module --model names; pass --model FILE."
            : $"--model {s.Model} is the network, so --arch {s.Arch} cannot be: drop --arch.");
        if (s.InputShape is { } shape) Model.ScriptedNetwork.ParseShape(shape);
        Require(s.Arch != "cnn" || !s.DataShapeKnown || s.Features == Data.CifarRecords.PixelsPerImage,
            $"a cnn takes CIFAR-shaped examples (3 × 32 × 32 = 3,072 values); --data {s.Data} has {s.Features} per example.");
        Require(s.Arch != "cnn" || s.Depth is >= 1 and <= 5,
            $"a cnn needs 1 to 5 conv blocks (--depth; each halves the 32 × 32 image), got {s.Depth}.");
        try { ActivationFunctions.Parse(s.Activation); }
        catch (ArgumentException e) { throw new ProbesError(e.Message); }
        Require(s.Dtype is "float32" or "float64", $"dtype must be float32 or float64, got '{s.Dtype}'.");
        Require(s.Device is "cpu" or "cuda" || s.Device.StartsWith("cuda:"), $"device must be cpu or cuda, got '{s.Device}'.");
        Require(s.Threads is null or > 0, $"threads must be positive, got {s.Threads}.");
        if (ThreadsError(s.Threads) is { } threads) throw new ProbesError(threads);
        // float32 stores η as a float: 1e39 becomes ∞ (θ is NaN after one step) and 1e-320 becomes 0 (θ never moves).
        double smallest = s.Dtype == "float64" ? 2.2250738585072014e-308 : 1.1754943508222875e-38;
        double largest = s.Dtype == "float64" ? double.MaxValue : float.MaxValue;
        Require(!(s.Lr > 0) || (s.Lr >= smallest && s.Lr <= largest),
            $"lr {s.Lr} is not a normal {s.Dtype} number (between {smallest:G3} and {largest:G3}): the run would "
                + (s.Lr > largest ? "overflow at its first update." : "never move."));
        Require(s.TargetLoss is null || (s.TargetLoss >= 0 && double.IsFinite(s.TargetLoss.Value)),
            $"target-loss must be a finite number ≥ 0, got {s.TargetLoss}.");
        Require(s.TargetAccuracy is null or (>= 0 and <= 1), $"target-accuracy must be a fraction in [0, 1], got {s.TargetAccuracy}.");
        Require(s.TestEvery > 0, $"test-every must be positive, got {s.TestEvery}.");
        Require(s.LogEvery > 0, $"log-every must be positive, got {s.LogEvery}.");
        Require(s.CheckpointEvery > 0, $"checkpoint-every must be positive, got {s.CheckpointEvery}.");
        Require(s.ProbeEvery >= 0, $"probe-every must be ≥ 0, got {s.ProbeEvery}.");
        Require(s.ProbeK >= 1, $"probe-k must be ≥ 1, got {s.ProbeK}.");
        long outputs = (long)(s.DataShapeKnown ? s.Outputs : 1) * s.N;
        Require(s.ProbeK <= outputs, $"probe-k {s.ProbeK} exceeds the NTK's size D = {outputs}.");
        Require(s.ProbeK <= MaxProbeK, $"probe-k must be at most {MaxProbeK} (each pair costs ~4 basis vectors of P numbers), got {s.ProbeK}.");
        foreach (var (name, tolerance) in new[] { ("probe-tol", s.ProbeTol), ("probe-hess-tol", s.ProbeHessTol), ("probe-q-tol", s.ProbeQTol) })
            Require(tolerance > 0 && tolerance <= MaxProbeTolerance,
                $"{name} must be in (0, {MaxProbeTolerance}] (a relative residual; looser solves converge to wrong eigenvalues), got {tolerance}.");
        Require(s.ProbeAbove is null || double.IsFinite(s.ProbeAbove.Value), $"probe-above must be a finite number, got {s.ProbeAbove}.");
        Require(s.ProbeMaxIter >= 2 * s.ProbeK, $"probe-max-iter must be ≥ 2·probe-k, got {s.ProbeMaxIter}.");
        Require(s.ProbeDeflate >= 0, $"probe-deflate must be ≥ 0, got {s.ProbeDeflate}.");
        Require(s.ProbeDeflate == 0 || s.ProbeMaxIter >= s.ProbeK + s.ProbeDeflate,
            $"probe-max-iter must be ≥ probe-k + probe-deflate = {s.ProbeK + s.ProbeDeflate} (one block of the deflation estimate), got "
                + $"{s.ProbeMaxIter}.");
        Require(s.ProbeQEvery >= 1, $"probe-q-every must be ≥ 1, got {s.ProbeQEvery}.");
        Require(s.ProbeHessEvery >= 1, $"probe-hess-every must be ≥ 1, got {s.ProbeHessEvery}.");
        Require(s.SpectraDensity >= 0, $"spectra-density must be ≥ 0, got {s.SpectraDensity}.");
        Require(s.SpectraDensitySteps >= 2, $"spectra-density-steps must be ≥ 2, got {s.SpectraDensitySteps}.");
        Require(s.SpectraM >= 1, $"spectra-m must be ≥ 1, got {s.SpectraM}.");
        Require(s.SpectraM <= MaxSpectrumSize, $"spectra-m must be at most {MaxSpectrumSize} per end, got {s.SpectraM}.");
        Require(s.SpectraDensity <= MaxDensityVectors, $"spectra-density must be at most {MaxDensityVectors} vectors, got {s.SpectraDensity}.");
        Require(s.SpectraDensitySteps <= MaxDensitySteps, $"spectra-density-steps must be at most {MaxDensitySteps}, got {s.SpectraDensitySteps}.");
        foreach (var p in s.Probes)
            Require(KnownProbes.Contains(p), $"unknown probe '{p}' (known: {string.Join(", ", KnownProbes)}).");
        Require(!s.Probes.Contains("selfstab") || s.Probes.Contains("hessian"),
            "probe 'selfstab' needs 'hessian' (its u is the Hessian's top eigenvector): add it to --probes.");
        Require(!s.Probes.Contains("midpoint") || s.Probes.Contains("hessian"),
            "probe 'midpoint' needs 'hessian' (its solve starts from the Hessian's top eigenvector): add it to --probes.");
        foreach (var w in s.ProbeWindow) ParseWindow(w, s.Steps);
        foreach (var t in s.SpectraAt)
            Require(t >= 0 && t <= s.Steps, $"spectra-at step {t} is outside 0..{s.Steps}.");
    }

    /// <summary>Upper bounds of what a run can do: beyond them a run aborts (libgomp), hangs the machine or never ends.</summary>
    public const int MaxThreads = 256, MaxProbeK = 64, MaxSpectrumSize = 500, MaxDensityVectors = 1000, MaxDensitySteps = 1000;

    /// <summary>
    /// Whether this machine can hold the run: a lower bound on its memory (θ, its gradient, the optimizer's buffers, the probes'
    /// basis in float64 and, under a preconditioned optimizer, the preconditioned Hessian's warm starts and deflation space, the
    /// data and the activations), checked before a run directory is made or a resume touches one. Reading a run
    /// (report, plot) never asks this, so a large run can still be read on a small machine.
    /// </summary>
    public static void RequireRunnable(TrainSettings s)
    {
        var (need, basis, buffers) = Need(s);
        double have = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        Require(need < have, $"this run needs at least {need / 1e9:G3} GB (P = {ParameterCount(s):G4} parameters, n = {s.N}, probe basis "
            + $"{basis} vectors, {buffers} optimizer buffers) and this machine has {have / 1e9:G3} GB: lower --width, --n, --probe-k or "
            + "--spectra-m.");
    }

    /// <summary>The lower bound <see cref="RequireRunnable"/> sets against the machine, in bytes, with the P-sized vectors it counts.</summary>
    public static (double Bytes, int ProbeVectors, int OptimizerBuffers) Need(TrainSettings s)
    {
        double inputs = s.Features, parameters = ParameterCount(s);
        int bytes = s.Dtype == "float64" ? 8 : 4;
        int basis = s.Probes.Count == 0 || s.ProbeEvery == 0 && s.SpectraAt.Count == 0 ? 0 : 4 * (s.ProbeK + s.ProbeDeflate) + 4 * s.SpectraM;
        var optimizer = Optimizers.Optimizer.For(s);
        // P⁻¹H has its own warm starts (the last 4 probes' k vectors) and deflation space beside the Hessian's.
        if (basis > 0 && optimizer.Preconditioned && s.Probes.Contains("hessian")) basis += 4 * s.ProbeK + s.ProbeDeflate;
        double need = parameters * ((4.0 + optimizer.BufferCount) * bytes + 8.0 * basis)
            + (s.N + (s.NTest ?? 0)) * (inputs + 3.0 * Model.Architecture.HiddenFloats(s)) * bytes;
        return (need, basis, optimizer.BufferCount);
    }

    /// <summary>P of the network the settings describe, computed without building it.</summary>
    public static double ParameterCount(TrainSettings s) => Model.Architecture.ParameterCount(s);

    /// <summary>The one check of a thread count, for every command that takes --threads (libtorch aborts on 0, libgomp on 2³¹ − 1).</summary>
    public static string? ThreadsError(int? threads) => threads is null or (>= 1 and <= MaxThreads) ? null
        : $"--threads must be in 1..{MaxThreads} (this machine has {Environment.ProcessorCount} cores), got {threads}.";

    /// <summary>"A:B" → [A, B], inclusive, inside 0..steps.</summary>
    public static (int From, int To) ParseWindow(string window, int steps)
    {
        var parts = window.Split(':');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int a) || !int.TryParse(parts[1], out int b))
            throw new ProbesError($"probe-window '{window}' is not of the form A:B.");
        Require(0 <= a && a <= b && b <= steps, $"probe-window {window} is outside 0..{steps} or empty.");
        return (a, b);
    }

    private static void Require(bool condition, string message)
    {
        if (!condition) throw new ProbesError(message);
    }
}
