using System.Diagnostics;

namespace Training.Sweeps;

/// <summary>
/// The sweep as a Slurm job array, the engine clusters already run: one array task per point
/// (<c>--array=0-(N−1)%K</c>), each running <c>probes sweep run SWEEP --index $SLURM_ARRAY_TASK_ID</c> with
/// its cpus as torch threads; logs under SWEEP/slurm/. Tasks are requeue-safe: a requeued task resumes its
/// run from the last checkpoint, and a finished one does nothing.
/// </summary>
internal static class SlurmScript
{
    public const string FileName = "sweep.sbatch";

    public static string Text(string sweepDir, int points, int parallel, int cpusPerTask, string? time, string? partition, string? extra)
    {
        var dir = Path.GetFullPath(sweepDir);
        var lines = new List<string>
        {
            "#!/bin/bash",
            $"#SBATCH --job-name=probes-sweep",
            $"#SBATCH --array=0-{points - 1}{(parallel > 0 ? $"%{parallel}" : "")}",
            $"#SBATCH --cpus-per-task={cpusPerTask}",
            $"#SBATCH --output={dir}/slurm/%A_%a.out",
            $"#SBATCH --error={dir}/slurm/%A_%a.out",
            "#SBATCH --requeue",
        };
        if (time is not null) lines.Add($"#SBATCH --time={time}");
        if (partition is not null) lines.Add($"#SBATCH --partition={partition}");
        if (extra is not null) lines.Add($"#SBATCH {extra}");
        lines.Add($"exec {SelfCommand.Shell()} sweep run {dir} --index \"$SLURM_ARRAY_TASK_ID\" --threads \"${{SLURM_CPUS_PER_TASK:-1}}\"");
        return string.Join('\n', lines) + "\n";
    }

    /// <summary>Writes the script; with <paramref name="submit"/>, submits it and returns the job id.</summary>
    public static (string Path, string? JobId) Write(string sweepDir, string text, bool submit)
    {
        Directory.CreateDirectory(Path.Combine(sweepDir, "slurm"));
        var path = Path.Combine(sweepDir, FileName);
        File.WriteAllText(path, text);
        if (!submit) return (path, null);
        var start = new ProcessStartInfo("sbatch") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("--parsable");
        start.ArgumentList.Add(path);
        Process p;
        try { p = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new
            ProbesError("sbatch is not on PATH: submit the script yourself, or run on a Slurm login node.");
        }
        using (p)
        {
            var output = p.StandardOutput.ReadToEnd();
            var error = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new ProbesError($"sbatch refused {path}: {error.Trim().Split('\n')[0]}");
            return (path, output.Trim().Split(';')[0]);
        }
    }
}
