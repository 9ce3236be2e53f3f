using System.Security.Cryptography;
using System.Text.Json;
using Probes.Probing;
using Training.Config;
using Training.Model;
using static TorchSharp.torch;

namespace Training.Runs;

/// <summary>
/// A resumable point of a run: θ_step (before step's update), the probes' state, the elapsed seconds and
/// the byte length of every trace when rows 0..step−1 were complete. checkpoint.json is written last and
/// atomically, so it always names files that exist in full: a crash at any moment leaves either the
/// previous checkpoint or the new one, never a mixture. It also holds the byte length and SHA-256 of the
/// model and probe-state files, checked before a resume touches any trace: a damaged file is refused with one
/// line and the traces stay as they were.
/// </summary>
internal sealed record Checkpoint(int Step, double Seconds, string Model, string ProbeState,
    Dictionary<string, long> TraceBytes, bool Completed, Dictionary<string, FileDigest>? Files = null, string? Optimizer = null)
{
    public const string FileName = "checkpoint.json";

    /// <summary>The traces a checkpoint may name (what <c>TrainingLoop</c> writes): no other file is ever cut.</summary>
    public static readonly IReadOnlySet<string> TraceFiles = new HashSet<string>
    {
        "train.csv", "probes.csv", "spectra.csv", "density.csv", TensorBoardTrace.RelativePath,
    };

    private static readonly System.Text.RegularExpressions.Regex ModelName = new(@"^model-[0-9]{6,}\.pt$");
    private static readonly System.Text.RegularExpressions.Regex StateName = new(@"^probe-state-[0-9]{6,}\.bin$");
    private static readonly System.Text.RegularExpressions.Regex OptimizerName = new(@"^optimizer-[0-9]{6,}\.bin$");

    /// <summary>Current byte lengths of the traces, keyed by file name.</summary>
    public static Dictionary<string, long> Lengths(RunDirectory run, IEnumerable<ITrace> traces)
    {
        var lengths = traces.ToDictionary(t => Path.GetRelativePath(run.Path, t.Path).Replace('\\', '/'), t => t.Length);
        if (lengths.Keys.FirstOrDefault(k => !TraceFiles.Contains(k)) is { } stray)
            throw new InvalidOperationException($"{stray} is not in Checkpoint.TraceFiles: a resume would refuse this checkpoint.");
        return lengths;
    }

    /// <param name="traceBytes">The traces' lengths when rows 0..step−1 were complete.</param>
    /// <param name="probeState">The suite's state to store, if not its present one (a completed run: as before its last probe).</param>
    public static void Save(RunDirectory run, int step, double seconds, Network model, ProbeSuite suite, Optimizers.Optimizer optimizer,
        Dictionary<string, long> traceBytes, bool completed, ProbeState? probeState = null)
    {
        var modelFile = $"model-{step:D6}.pt";
        var stateFile = $"probe-state-{step:D6}.bin";
        var temporary = run.File(modelFile + ".tmp");
        try
        {
            model.SaveWeights(temporary);
            using (var stream = new FileStream(temporary, FileMode.Open, FileAccess.ReadWrite)) stream.Flush(flushToDisk: true);
            File.Move(temporary, run.File(modelFile), overwrite: true);
        }
        catch (Exception e) when (e is not ProbesError)     // TorchSharp reports a failed save as a plain Exception
        {
            try { File.Delete(temporary); } catch (IOException) { }
            throw new
                ProbesError($"cannot write the checkpoint at step {step} in {run.Path}: {e.Message.Split('\n')[0]} (the previous checkpoint is "
                    + $"intact).",
                ExitCodes.WriteFailed);
        }
        RunDirectory.WriteAtomically(run.File(stateFile), (probeState ?? suite.Export()).Write);
        // The optimizer's buffers (none for GD): without them a resumed momentum or Adam run would restart its averages.
        var optimizerState = optimizer.Export();
        string? optimizerFile = optimizerState.Count > 0 ? $"optimizer-{step:D6}.bin" : null;
        if (optimizerFile is not null) RunDirectory.WriteAtomically(run.File(optimizerFile), new ProbeState(optimizerState, null).Write);
        CrashPoint.Maybe("checkpoint", step);
        var files = new[] { modelFile, stateFile, optimizerFile }.OfType<string>().ToDictionary(f => f, f => FileDigest.Of(run.File(f)));
        run.WriteJson(FileName, new Checkpoint(step, seconds, modelFile, stateFile, traceBytes, completed, files, optimizerFile),
            SettingsResolver.Json);
        foreach (var old in new[] { "model-*.pt", "probe-state-*.bin", "optimizer-*.bin" }.SelectMany(p => Directory.EnumerateFiles(run.Path, p)))
            if (Path.GetFileName(old) is var name && name != modelFile && name != stateFile && name != optimizerFile) File.Delete(old);
    }

    public static Checkpoint Load(RunDirectory run)
    {
        var path = run.File(FileName);
        if (!File.Exists(path)) throw new ProbesError($"{path} is missing: this run has no checkpoint to resume from.");
        Checkpoint? checkpoint;
        try
        {
            var node = StrictJson.ReadObject(path, "checkpoint.json");
            checkpoint = SettingKeys.Normalized(node).Deserialize<Checkpoint>(SettingsResolver.Json);     // earlier versions: kebab-case
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new ProbesError($"{path} is unreadable: {StrictJson.FirstSentence(e.Message)}; nothing was changed.");
        }
        if (checkpoint is null) throw new ProbesError($"{path} is empty.");
        checkpoint.Validate(path);
        foreach (var file in new[] { checkpoint.Model, checkpoint.ProbeState, checkpoint.Optimizer }.OfType<string>())
        {
            var full = run.File(file);
            if (!File.Exists(full)) throw new ProbesError($"{FileName} names {file}, which is missing from {run.Path}.");
            if (checkpoint.Files?.GetValueOrDefault(file) is { } expected && FileDigest.Of(full) is var actual && actual != expected)
                throw new ProbesError(actual.Bytes != expected.Bytes
                    ? $"{full} is damaged: {actual.Bytes} bytes where {FileName} recorded {expected.Bytes}; nothing was changed."
                    : $"{full} is damaged: its SHA-256 differs from the one in {FileName}; nothing was changed.");
        }
        return checkpoint;
    }

    /// <summary>
    /// Every field present and every name one of the run's own files: a damaged or hand-edited checkpoint.json must never
    /// make a resume read or cut a file elsewhere ("../victim.txt" under trace_bytes).
    /// </summary>
    private void Validate(string path)
    {
        ProbesError Bad(string what) => new($"{path}: {what}; nothing was changed.");
        if (Step < 0) throw Bad($"step is {Step}");
        if (Model is null || !ModelName.IsMatch(Model)) throw Bad($"model is {Quoted(Model)}, not a file name model-NNNNNN.pt of this run");
        if (ProbeState is null || !StateName.IsMatch(ProbeState))
            throw Bad($"probe_state is {Quoted(ProbeState)}, not a file name probe-state-NNNNNN.bin of this run");
        if (Optimizer is not null && !OptimizerName.IsMatch(Optimizer))
            throw Bad($"optimizer is {Quoted(Optimizer)}, not a file name optimizer-NNNNNN.bin of this run");
        if (TraceBytes is null) throw Bad("trace_bytes is missing");
        foreach (var (name, length) in TraceBytes!)
        {
            if (!TraceFiles.Contains(name))
                throw Bad($"trace_bytes names {Quoted(name)}, which is not one of the run's traces ({string.Join(", ", TraceFiles)})");
            if (length < 0) throw Bad($"trace_bytes gives {name} {length} bytes");
        }
        foreach (var (name, digest) in Files ?? [])
            if ((name != Model && name != ProbeState && name != Optimizer) || digest is null)
                throw Bad($"files names {Quoted(name)}, which is not this checkpoint's model or probe state");
    }

    private static string Quoted(string? s) => s is null ? "null" : JsonSerializer.Serialize(s);

    /// <summary>Puts θ_step back into <paramref name="model"/> (of the run's architecture); an unreadable file is one line.</summary>
    public void RestoreModel(RunDirectory run, Network model)
    {
        try { model.LoadWeights(run.File(Model)); }
        catch (Exception e) when (e is not ProbesError)
        {
            // Load checked the file's SHA-256, so where it is recorded the file is intact and the network is what differs.
            throw new ProbesError(Files?.ContainsKey(Model) == true
                ? $"{run.File(Model)} is intact (its SHA-256 matches {FileName}) but does not fit the network config.json describes "
                    + $"(width, depth, activation or dtype changed?): {e.Message.Split('\n')[0]}; nothing was changed."
                : $"{run.File(Model)} is unreadable ({e.GetType().Name}); nothing was changed.");
        }
    }

    /// <summary>Puts θ and the probes' state back; an unreadable file is one line (checked before any trace is cut).</summary>
    public void Restore(RunDirectory run, Network model, ProbeSuite suite, Optimizers.Optimizer optimizer, Device device)
    {
        RestoreModel(run, model);
        if (Optimizer is not null)
        {
            try
            {
                using var stream = File.OpenRead(run.File(Optimizer));
                optimizer.Import(Probes.Probing.ProbeState.Read(stream).Vectors, model);
            }
            catch (Exception e) when (e is EndOfStreamException or InvalidDataException or IOException or ArgumentException)
            {
                throw new ProbesError($"{run.File(Optimizer)} is unreadable ({e.GetType().Name}); nothing was changed.");
            }
        }
        try
        {
            using var stream = File.OpenRead(run.File(ProbeState));
            suite.Import(Probes.Probing.ProbeState.Read(stream), device);
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or IOException or ArgumentException or OutOfMemoryException)
        {
            throw new ProbesError($"{run.File(ProbeState)} is unreadable ({e.GetType().Name}); nothing was changed.");
        }
    }

    /// <summary>
    /// Cuts every trace back to its length at this checkpoint: later rows, and any half-written one, go.
    /// Every trace is checked first, so a refusal leaves them all as they were.
    /// </summary>
    public void TruncateTraces(RunDirectory run)
    {
        foreach (var (name, length) in TraceBytes)
        {
            var path = run.File(name);
            if (!File.Exists(path)) throw new ProbesError($"{path} is missing; the checkpoint expects {length} bytes.");
            long actual = new FileInfo(path).Length;
            if (actual < length) throw new ProbesError($"{path} is shorter ({actual} bytes) than at the checkpoint ({length}); nothing was changed.");
        }
        foreach (var (name, length) in TraceBytes)
        {
            using var stream = new FileStream(run.File(name), FileMode.Open, FileAccess.Write);
            stream.SetLength(length);
        }
    }
}

