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
    Dictionary<string, long> TraceBytes, bool Completed, Dictionary<string, FileDigest>? Files = null)
{
    public const string FileName = "checkpoint.json";

    /// <summary>Current byte lengths of the traces, keyed by file name.</summary>
    public static Dictionary<string, long> Lengths(IEnumerable<CsvTrace> traces) =>
        traces.ToDictionary(t => Path.GetFileName(t.Path), t => t.Length);

    /// <param name="traceBytes">The traces' lengths when rows 0..step−1 were complete.</param>
    public static void Save(RunDirectory run, int step, double seconds, Mlp model, ProbeSuite suite,
        Dictionary<string, long> traceBytes, bool completed)
    {
        var modelFile = $"model-{step:D6}.pt";
        var stateFile = $"probe-state-{step:D6}.bin";
        var temporary = run.File(modelFile + ".tmp");
        try
        {
            model.save(temporary);
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
        RunDirectory.WriteAtomically(run.File(stateFile), suite.Export().Write);
        CrashPoint.Maybe("checkpoint", step);
        var files = new[] { modelFile, stateFile }.ToDictionary(f => f, f => FileDigest.Of(run.File(f)));
        run.WriteJson(FileName, new Checkpoint(step, seconds, modelFile, stateFile, traceBytes, completed, files), SettingsResolver.Json);
        foreach (var old in Directory.EnumerateFiles(run.Path, "model-*.pt").Concat(Directory.EnumerateFiles(run.Path, "probe-state-*.bin")))
            if (Path.GetFileName(old) != modelFile && Path.GetFileName(old) != stateFile) File.Delete(old);
    }

    public static Checkpoint Load(RunDirectory run)
    {
        var path = run.File(FileName);
        if (!File.Exists(path)) throw new ProbesError($"{path} is missing: this run has no checkpoint to resume from.");
        Checkpoint? checkpoint;
        try
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path)) as System.Text.Json.Nodes.JsonObject
                ?? throw new ProbesError($"{path} is not a JSON object.");
            checkpoint = SettingKeys.Normalized(node).Deserialize<Checkpoint>(SettingsResolver.Json);     // earlier versions: kebab-case
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new ProbesError($"{path} is unreadable: {e.Message.Split(". ")[0]}.");
        }
        if (checkpoint is null) throw new ProbesError($"{path} is empty.");
        foreach (var file in new[] { checkpoint.Model, checkpoint.ProbeState })
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

    /// <summary>Puts θ_step back into <paramref name="model"/> (of the run's architecture); an unreadable file is one line.</summary>
    public void RestoreModel(RunDirectory run, Mlp model)
    {
        try { model.load(run.File(Model)); }
        catch (Exception e) when (e is not ProbesError)
        {
            throw new ProbesError($"{run.File(Model)} is unreadable ({e.GetType().Name}); nothing was changed.");
        }
    }

    /// <summary>Puts θ and the probes' state back; an unreadable file is one line (checked before any trace is cut).</summary>
    public void Restore(RunDirectory run, Mlp model, ProbeSuite suite, Device device)
    {
        RestoreModel(run, model);
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

