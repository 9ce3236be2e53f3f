using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Training.Runs;
using Training.Train;

namespace Training.Sweeps;

/// <summary>
/// Runs sweep points. One point (<see cref="RunPoint"/>) is what a Slurm array task or a Kubernetes
/// Indexed Job pod runs: a new run, a resume from the run's last checkpoint (a requeued task), or nothing if
/// the run already completed; two workers on one index are refused by the run's lock. The local executor
/// (<see cref="RunLocal"/>) runs the unfinished points as child processes, a few at a time, with the
/// machine's threads divided between them.
/// </summary>
internal static class SweepRunner
{
    /// <summary>The array index from --index, else $SLURM_ARRAY_TASK_ID, else $JOB_COMPLETION_INDEX (Kubernetes).</summary>
    public static int IndexFrom(int? flag)
    {
        if (flag is { } i) return i;
        foreach (var name in new[] { "SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX" })
            if (Environment.GetEnvironmentVariable(name) is { } v && int.TryParse(v, out int j)) return j;
        throw new ProbesError("sweep run needs --index I (or $SLURM_ARRAY_TASK_ID or $JOB_COMPLETION_INDEX), or --workers N to run them all here.");
    }

    public static int RunPoint(string sweepDir, int index, int? threads)
    {
        var manifest = SweepManifest.Read(sweepDir);
        if (index < 0 || index >= manifest.Points.Count)
            throw new ProbesError($"sweep {sweepDir} has points 0–{manifest.Points.Count - 1}, not {index}.");
        var point = manifest.Points[index];
        var runPath = Path.Combine(sweepDir, point.RunDir);
        var status = SweepStatus.Of(sweepDir, point);
        if (status.State == "completed")
        {
            Console.WriteLine($"sweep point {index}: already completed → {runPath}");
            return ExitCodes.Ok;
        }
        if (File.Exists(Path.Combine(runPath, Checkpoint.FileName)))
        {
            Console.WriteLine($"sweep point {index}: resuming {runPath} ({status.State} at step {status.Step})");
            return Trainer.Resume(runPath, null);
        }
        if (Directory.Exists(runPath) && Directory.EnumerateFileSystemEntries(runPath).Any(f => !f.EndsWith("run.lock")))
            throw new ProbesError($"sweep point {index}: {runPath} holds a run that never reached its first checkpoint; delete it to retry.");
        if (Directory.Exists(runPath)) Directory.Delete(runPath, recursive: true);      // only an orphaned lock file
        var settings = SweepManifest.Resolve(manifest.Base, point, runPath);
        if (threads is { } t) settings = settings with { Threads = t };
        Console.WriteLine($"sweep point {index}: {point.Settings.ToJsonString()} → {runPath}");
        return new Trainer(settings).Run();
    }

    /// <summary>
    /// Every unfinished point, <paramref name="workers"/> child processes at a time; the exit code is the worst one's.
    /// SIGINT or SIGTERM is passed on to every running child as SIGTERM (each checkpoints and stops as <c>train</c> does), no
    /// new point starts, and the sweep waits for them, reports each and exits 130: nothing is left running.
    /// </summary>
    public static int RunLocal(string sweepDir, int workers, int threadsPerWorker)
    {
        var manifest = SweepManifest.Read(sweepDir);
        var todo = manifest.Points.Where(p => SweepStatus.Of(sweepDir, p).State != "completed").ToList();
        Console.WriteLine($"sweep {sweepDir}: {todo.Count} of {manifest.Points.Count} points to run, {workers} at a time, "
            + $"{threadsPerWorker} thread{(threadsPerWorker == 1 ? "" : "s")} each");
        var codes = new System.Collections.Concurrent.ConcurrentBag<int>();
        var running = new System.Collections.Concurrent.ConcurrentDictionary<int, Process>();
        using var stop = new CancellationTokenSource();
        void Forward(PosixSignalContext context)
        {
            context.Cancel = true;
            if (stop.IsCancellationRequested) return;
            stop.Cancel();
            Console.Error.WriteLine($"probes: {context.Signal} received: stopping {running.Count} running point(s) at their next step; "
                + "no new point starts.");
            foreach (var p in running.Values) _ = Signals.Terminate(p.Id);
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Forward);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Forward);
        Parallel.ForEach(todo, new ParallelOptions { MaxDegreeOfParallelism = workers }, point =>
        {
            if (stop.IsCancellationRequested) return;
            var start = SelfCommand.StartInfo(["sweep", "run", sweepDir, "--index", point.Index.ToString(), "--threads",
                threadsPerWorker.ToString()]);
            start.RedirectStandardOutput = start.RedirectStandardError = true;
            using var p = Process.Start(start)!;
            running[point.Index] = p;
            if (stop.IsCancellationRequested) _ = Signals.Terminate(p.Id);      // started just as the signal came
            var err = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            running.TryRemove(point.Index, out _);
            Console.WriteLine($"  point {point.Index}: exit {p.ExitCode}{(p.ExitCode != 0 ? " " + err.Result.Trim().Split('\n')[^1] : "")}");
            codes.Add(p.ExitCode);
        });
        if (stop.IsCancellationRequested)
        {
            Console.WriteLine($"sweep {sweepDir}: stopped; every point checkpointed. Resume with: probes sweep run {sweepDir} --workers {workers}");
            return ExitCodes.Interrupted;
        }
        return codes.DefaultIfEmpty(0).Max();
    }
}
