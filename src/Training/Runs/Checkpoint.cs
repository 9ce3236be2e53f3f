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
/// previous checkpoint or the new one, never a mixture.
/// </summary>
public sealed record Checkpoint(int Step, double Seconds, string Model, string ProbeState,
    Dictionary<string, long> TraceBytes, bool Completed)
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
        model.save(temporary);
        using (var stream = new FileStream(temporary, FileMode.Open, FileAccess.ReadWrite)) stream.Flush(flushToDisk: true);
        File.Move(temporary, run.File(modelFile), overwrite: true);
        RunDirectory.WriteAtomically(run.File(stateFile), suite.Export().Write);
        CrashPoint.Maybe("checkpoint", step);
        run.WriteJson(FileName, new Checkpoint(step, seconds, modelFile, stateFile, traceBytes, completed), SettingsResolver.Json);
        foreach (var old in Directory.EnumerateFiles(run.Path, "model-*.pt").Concat(Directory.EnumerateFiles(run.Path, "probe-state-*.bin")))
            if (Path.GetFileName(old) != modelFile && Path.GetFileName(old) != stateFile) File.Delete(old);
    }

    public static Checkpoint Load(RunDirectory run)
    {
        var path = run.File(FileName);
        if (!File.Exists(path)) throw new ProbesError($"{path} is missing: this run has no checkpoint to resume from.");
        Checkpoint? checkpoint;
        try { checkpoint = JsonSerializer.Deserialize<Checkpoint>(File.ReadAllText(path), SettingsResolver.Json); }
        catch (JsonException e) { throw new ProbesError($"{path} is unreadable: {e.Message.Split(". ")[0]}."); }
        if (checkpoint is null) throw new ProbesError($"{path} is empty.");
        foreach (var file in new[] { checkpoint.Model, checkpoint.ProbeState })
            if (!File.Exists(run.File(file))) throw new ProbesError($"{FileName} names {file}, which is missing from {run.Path}.");
        return checkpoint;
    }

    /// <summary>Puts θ and the probes' state back.</summary>
    public void Restore(RunDirectory run, Mlp model, ProbeSuite suite, Device device)
    {
        model.load(run.File(Model));
        using var stream = File.OpenRead(run.File(ProbeState));
        suite.Import(Probes.Probing.ProbeState.Read(stream), device);
    }

    /// <summary>Cuts every trace back to its length at this checkpoint: later rows, and any half-written one, go.</summary>
    public void TruncateTraces(RunDirectory run)
    {
        foreach (var (name, length) in TraceBytes)
        {
            var path = run.File(name);
            if (!File.Exists(path)) throw new ProbesError($"{path} is missing; the checkpoint expects {length} bytes.");
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
            if (stream.Length < length) throw new ProbesError($"{path} is shorter ({stream.Length} bytes) than at the checkpoint ({length}).");
            stream.SetLength(length);
        }
    }
}
