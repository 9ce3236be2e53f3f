using System.Diagnostics;
using System.Text.Json;
using Probes.Eigensolvers;
using Probes.Flows;
using Probes.Models;
using Probes.Probing;
using Training.Config;
using Training.Data;
using Training.Model;
using Training.Runs;
using Training.Train;
using static TorchSharp.torch;

namespace Training.Flows;

/// <summary>Where a <c>probes flow</c> stands: written atomically beside central-flow.csv with the state it names.</summary>
internal sealed record FlowCheckpoint(int From, int To, int Next, long CsvBytes, FlowOptions Options, string StateFile, FileDigest State,
    double Seconds, double GdStepSeconds, long Matvecs);

/// <summary>
/// <c>probes flow RUN_DIR --from S --to T</c>: from the run's θ at step S (its GD replayed from θ₀, bit for bit as
/// <c>fit --taylor-at</c> does), integrates three processes side by side in GD-step time: the run's GD itself, GD's central
/// flow (<see cref="CentralFlow"/>: Euler substeps of 1/substeps, the top Hessian eigenpairs re-solved at each, warm-started)
/// and the stable flow dθ/dt = −η∇L (the same substeps), writing one central-flow.csv row per step (<see cref="FlowColumns"/>). A
/// checkpoint (θ of all three and their eigenvectors) every --checkpoint-every steps, at the end and on Ctrl-C: an interrupted
/// flow, even by SIGKILL, resumes from it to the same bytes.
/// </summary>
internal static class FlowRun
{
    public const string CsvName = "central-flow.csv", CheckpointName = "central-flow.json";

    /// <summary>The longest flow in steps (each is tens of Hessian products).</summary>
    public const int MaxSteps = 100_000;

    public static string DefaultOut(string runPath, int from) => Path.Combine(runPath, $"flow-{from}");

    public static FlowCheckpoint Run(string runPath, int from, int to, FlowOptions options, string outPath, Action<string>? progress = null)
    {
        var settings = ConfigFile.Settings(runPath);
        Check(settings, from, to, options);
        var stateFile = Path.Combine(outPath, "central-flow-state.bin");
        var resumed = Resumable(outPath, from, options);
        // A flow stopped before its first checkpoint left at most central-flow.csv, whose rows it recomputes: it starts over.
        if (resumed is null && Directory.Exists(outPath) && Directory.EnumerateFileSystemEntries(outPath).Select(Path.GetFileName)
            .SequenceEqual([CsvName]))
            File.Delete(Path.Combine(outPath, CsvName));
        if (resumed is null && Directory.Exists(outPath) && Directory.EnumerateFileSystemEntries(outPath).Any())
            throw new ProbesError($"{outPath} already exists and holds no flow from step {from} with these settings; choose another --out.");
        Directory.CreateDirectory(outPath);
        var (dtype, device) = Trainer.Prepare(settings);
        var loss = ILoss.Named[settings.Loss];
        using var data = CifarDataset.Load(CifarLocator.Resolve(settings.Data), settings.N, 0, dtype, device);
        var init = ConfigFile.InitWeights(runPath);
        FlowProcess Process(string key, string name, int seed) =>
            new(key, name, (Mlp)Trainer.Initial(settings, dtype, device, init), data, loss, options, settings.Seed * 31 + seed);
        using var gd = Process("gd", "GD", 20);
        using var cf = Process("cf", "central flow", 21);
        using var gf = Process("gf", "stable flow", 22);
        var optimizer = Optimizers.Optimizer.For(settings);
        FlowProcess[] processes = [gd, cf, gf];
        int next = from;
        double seconds = 0, gdSeconds = 0;
        long matvecs = 0;
        if (resumed is not null)
        {
            var state = FlowState(outPath, resumed);
            foreach (var p in processes) p.Import(state.Vectors, device);
            using (var csv = new FileStream(Path.Combine(outPath, CsvName), FileMode.Open)) csv.SetLength(resumed.CsvBytes);
            if (resumed.Next > to + 1)
                throw new ProbesError($"{outPath} already holds the flow to step {resumed.Next - 1}, past --to {to}; choose another --out.");
            if (resumed.Next == to + 1) return resumed;
            (next, seconds, gdSeconds, matvecs) = (resumed.Next, resumed.Seconds, resumed.GdStepSeconds, resumed.Matvecs);
            progress?.Invoke($"resuming the flow at step {next}");
        }
        else
        {
            for (int t = 0; t < from; t++)
            {
                GradientDescent.Gradient(gd.Model, data.TrainInputs, data.TrainTargets, data.TrainLabels, loss);
                optimizer.Step(gd.Model);
                if (t % 100 == 0) progress?.Invoke($"replaying GD: step {t}/{from}");
            }
            using var theta = gd.Theta();
            var flat = theta.data<double>().ToArray();
            cf.Restore(flat);
            gf.Restore(flat);
        }
        using var stop = new StopSignal();
        using var table = new CsvTrace(Path.Combine(outPath, CsvName), FlowColumns.Names(options.K));
        var clock = Stopwatch.StartNew();
        double startSeconds = seconds;
        FlowCheckpoint Save(int nextStep)
        {
            var vectors = new Dictionary<string, double[][]>();
            foreach (var (entry, value) in processes.SelectMany(p => p.Export())) vectors[entry] = value;
            RunDirectory.WriteAtomically(stateFile, new ProbeState(vectors, null).Write);
            var checkpoint = new FlowCheckpoint(from, to, nextStep, table.Length, options, Path.GetFileName(stateFile), FileDigest.Of(stateFile),
                startSeconds + clock.Elapsed.TotalSeconds, gdSeconds, matvecs + processes.Sum(p => p.Matvecs));
            RunDirectory.WriteAtomically(Path.Combine(outPath, CheckpointName), s => JsonSerializer.Serialize(s, checkpoint, SettingsResolver.Json));
            return checkpoint;
        }
        for (int t = next; t <= to; t++)
        {
            using (var scope = NewDisposeScope())
            {
                table.Write(FlowRow.Measure(t, (t - from) % options.EigsEvery == 0, gd, cf, gf, settings.Lr, options));
            }
            NativeHeap.Trim();          // once a step, as the probes do: glibc keeps the Davidson bases' freed P-vectors otherwise
            CrashPoint.Maybe("flow", t);                                    // tests: a SIGKILL between checkpoints
            CrashPoint.SignalMaybe("flow", t, () => stop.Requested);        // tests: Ctrl-C
            var gdClock = Stopwatch.StartNew();
            GradientDescent.Gradient(gd.Model, data.TrainInputs, data.TrainTargets, data.TrainLabels, loss);
            optimizer.Step(gd.Model);
            gdSeconds += gdClock.Elapsed.TotalSeconds;
            if (t == to) break;          // every process now at to + 1: a later --to resumes from here
            int done = t + 1 - next;
            double perStep = clock.Elapsed.TotalSeconds / done;
            progress?.Invoke($"flow step {t + 1}/{to} ({perStep:F1} s a step, {TimeSpan.FromSeconds(perStep * (to - t)):hh\\:mm\\:ss} left)");
            if (stop.Requested)
            {
                Save(t + 1);
                throw new ProbesError($"stopped at step {t + 1}; run the same command to resume.", ExitCodes.Interrupted);
            }
            if ((t + 1 - from) % options.CheckpointEvery == 0) Save(t + 1);
        }
        return Save(to + 1);
    }

    private static void Check(TrainSettings s, int from, int to, FlowOptions o)
    {
        if (s.Optimizer != "gd")
            throw new ProbesError($"the central flow here is GD's; this run used {s.Optimizer} (the central flows of RMSProp and Adam are not "
                + "built).");
        if (s.Arch != "fc")
            throw new ProbesError($"probes flow moves θ through the fully connected network's own point; this run is --arch {s.Arch}.");
        // GD is replayed from θ₀, so a flow may start past the run's last step (a `--steps 0` run of a preset is enough).
        if (from < 0) throw new ProbesError($"--from must be ≥ 0, got {from}.");
        if (to <= from || to - from > MaxSteps) throw new ProbesError($"--to must be in {from + 1}..{from + MaxSteps}, got {to}.");
        if (o.K < 1 || o.K > 16) throw new ProbesError($"--k must be in 1..16, got {o.K}.");
        if (o.Substeps < 1 || o.Substeps > 1000) throw new ProbesError($"--substeps must be in 1..1000, got {o.Substeps}.");
        if (o.RefreshEvery < 1 || (o.Substeps % o.RefreshEvery != 0 && o.RefreshEvery % o.Substeps != 0))
            throw new ProbesError($"--refresh-every must divide --substeps ({o.Substeps}) or be a multiple of it, got {o.RefreshEvery}.");
        if (o.SolveEvery < 1 || o.SolveEvery % o.RefreshEvery != 0 || (o.SolveEvery > o.Substeps && o.SolveEvery % o.Substeps != 0))
            throw new ProbesError($"--solve-every must be a multiple of --refresh-every ({o.RefreshEvery}), and at most --substeps "
                + $"({o.Substeps}) or a multiple of it; got {o.SolveEvery}.");
        if (!(o.HoldTolerance >= 0)) throw new ProbesError($"--hold-tolerance must be ≥ 0, got {o.HoldTolerance}.");
        if (!(o.Critical > 0 && o.Critical < 2)) throw new ProbesError($"--critical must be in (0, 2), got {o.Critical}.");
        if (!(o.Tolerance > 0 && o.Tolerance <= SettingsValidator.MaxProbeTolerance))
            throw new ProbesError($"--tol must be in (0, {SettingsValidator.MaxProbeTolerance}], got {o.Tolerance}.");
        if (o.MaxIterations < 2 * o.K) throw new ProbesError($"--max-iter must be ≥ 2·k = {2 * o.K}, got {o.MaxIterations}.");
        if (o.EigsEvery < 1) throw new ProbesError($"--eigs-every must be positive, got {o.EigsEvery}.");
        if (o.CheckpointEvery < 1) throw new ProbesError($"--checkpoint-every must be positive, got {o.CheckpointEvery}.");
    }

    /// <summary>The checkpoint of a flow from the same step with the same settings in <paramref name="outPath"/>, if any.</summary>
    private static FlowCheckpoint? Resumable(string outPath, int from, FlowOptions options)
    {
        var path = Path.Combine(outPath, CheckpointName);
        if (!File.Exists(path)) return null;
        FlowCheckpoint? checkpoint;
        try { checkpoint = JsonSerializer.Deserialize<FlowCheckpoint>(File.ReadAllText(path), SettingsResolver.Json); }
        catch (JsonException e)
        {
            throw new ProbesError($"{path} is damaged ({e.Message.Split('\n')[0]}); the flow cannot resume (nothing was changed).");
        }
        if (checkpoint?.Options is null) throw new ProbesError($"{path} is empty or damaged; the flow cannot resume (nothing was changed).");
        // Flows written before --solve-every solved at every substep, and before --refresh-every took ∇³L at every substep: read them
        // as such, so that only those settings (and their others) resume them and no table mixes two methods.
        var text = File.ReadAllText(path);
        if (!text.Contains("\"solve_every\""))
            checkpoint = checkpoint with { Options = checkpoint.Options with { SolveEvery = 1 } };
        if (!text.Contains("\"refresh_every\""))
            checkpoint = checkpoint with { Options = checkpoint.Options with { RefreshEvery = 1 } };
        if (checkpoint.From != from || checkpoint.Options != options)
            throw new ProbesError($"{outPath} holds a flow from step {checkpoint.From} with other settings ({checkpoint.Options}); choose another "
                + "--out, or repeat its settings to resume it.");
        return checkpoint;
    }

    private static ProbeState FlowState(string outPath, FlowCheckpoint checkpoint)
    {
        var path = Path.Combine(outPath, checkpoint.StateFile);
        if (!File.Exists(path) || FileDigest.Of(path) != checkpoint.State)
            throw new ProbesError($"{path} is missing or does not match central-flow.json's digest; the flow cannot resume (nothing was changed).");
        using var stream = File.OpenRead(path);
        return ProbeState.Read(stream);
    }
}
