using System.Diagnostics;
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

    /// <summary>Every unfinished point, <paramref name="workers"/> child processes at a time; the exit code is the worst one's.</summary>
    public static int RunLocal(string sweepDir, int workers, int threadsPerWorker)
    {
        var manifest = SweepManifest.Read(sweepDir);
        var todo = manifest.Points.Where(p => SweepStatus.Of(sweepDir, p).State != "completed").ToList();
        Console.WriteLine($"sweep {sweepDir}: {todo.Count} of {manifest.Points.Count} points to run, {workers} at a time, {threadsPerWorker} threads "
            + $"each");
        var codes = new System.Collections.Concurrent.ConcurrentBag<int>();
        Parallel.ForEach(todo, new ParallelOptions { MaxDegreeOfParallelism = workers }, point =>
        {
            var start = SelfCommand.StartInfo(["sweep", "run", sweepDir, "--index", point.Index.ToString(), "--threads",
                threadsPerWorker.ToString()]);
            start.RedirectStandardOutput = start.RedirectStandardError = true;
            using var p = Process.Start(start)!;
            var err = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            Console.WriteLine($"  point {point.Index}: exit {p.ExitCode}{(p.ExitCode != 0 ? " " + err.Result.Trim().Split('\n')[^1] : "")}");
            codes.Add(p.ExitCode);
        });
        return codes.DefaultIfEmpty(0).Max();
    }
}
