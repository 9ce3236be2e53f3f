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
        Require(s.Width > 0, $"width must be positive, got {s.Width}.");
        Require(s.Depth >= 0, $"depth (hidden layers) must be ≥ 0, got {s.Depth}.");
        ActivationFunctions.Parse(s.Activation);
        Require(s.Dtype is "float32" or "float64", $"dtype must be float32 or float64, got '{s.Dtype}'.");
        Require(s.Device is "cpu" or "cuda" || s.Device.StartsWith("cuda:"), $"device must be cpu or cuda, got '{s.Device}'.");
        Require(s.Threads is null or > 0, $"threads must be positive, got {s.Threads}.");
        Require(s.TestEvery > 0, $"test-every must be positive, got {s.TestEvery}.");
        Require(s.LogEvery > 0, $"log-every must be positive, got {s.LogEvery}.");
        Require(s.CheckpointEvery > 0, $"checkpoint-every must be positive, got {s.CheckpointEvery}.");
        Require(s.ProbeEvery >= 0, $"probe-every must be ≥ 0, got {s.ProbeEvery}.");
        Require(s.ProbeK >= 1, $"probe-k must be ≥ 1, got {s.ProbeK}.");
        long outputs = (long)s.Outputs * s.N;
        Require(s.ProbeK <= outputs, $"probe-k {s.ProbeK} exceeds the NTK's size D = {outputs}.");
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
        foreach (var p in s.Probes)
            Require(KnownProbes.Contains(p), $"unknown probe '{p}' (known: {string.Join(", ", KnownProbes)}).");
        foreach (var w in s.ProbeWindow) ParseWindow(w, s.Steps);
        foreach (var t in s.SpectraAt)
            Require(t >= 0 && t <= s.Steps, $"spectra-at step {t} is outside 0..{s.Steps}.");
    }

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
