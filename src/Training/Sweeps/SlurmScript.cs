using System.Diagnostics;
using System.Text.RegularExpressions;

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

    /// <summary>
    /// The script. Every value that reaches it is checked here (a newline in --time would be a command of its own) and every
    /// path is quoted: sbatch reads a double-quoted #SBATCH value whole, bash a single-quoted word.
    /// </summary>
    public static string Text(string sweepDir, int points, int parallel, int cpusPerTask, string? time, string? partition, string? extra)
    {
        var dir = Path.GetFullPath(sweepDir);
        if (dir.Any(c => char.IsControl(c) || c == '"'))
            throw new ProbesError($"sweep path {Shown(dir)} holds a control character or a double quote, which a Slurm script cannot name.");
        if (parallel < 0) throw new ProbesError($"--parallel must be ≥ 0 (0: no limit), got {parallel}.");
        Check("--time", time, TimeFormat, "a Slurm time such as 90, 02:00:00 or 1-12:00:00");
        Check("--partition", partition, PartitionName, "a partition name (letters, digits, _ . , -)");
        Check("--sbatch", extra, ExtraOption, "one sbatch option such as --mem=8G, on one line, without quotes or $ ` \\ ;");
        var lines = new List<string>
        {
            "#!/bin/bash",
            $"#SBATCH --job-name=probes-sweep",
            $"#SBATCH --array=0-{points - 1}{(parallel > 0 ? $"%{parallel}" : "")}",
            $"#SBATCH --cpus-per-task={cpusPerTask}",
            $"#SBATCH --output=\"{dir}/slurm/%A_%a.out\"",
            $"#SBATCH --error=\"{dir}/slurm/%A_%a.out\"",
            "#SBATCH --requeue",
        };
        if (time is not null) lines.Add($"#SBATCH --time={time}");
        if (partition is not null) lines.Add($"#SBATCH --partition={partition}");
        if (extra is not null) lines.Add($"#SBATCH {extra}");
        lines.Add($"exec {SelfCommand.Shell()} sweep run {SelfCommand.Quote(dir)} --index \"$SLURM_ARRAY_TASK_ID\" "
            + "--threads \"${SLURM_CPUS_PER_TASK:-1}\"");
        return string.Join('\n', lines) + "\n";
    }

    private static readonly Regex TimeFormat = new(@"^([0-9]+(:[0-9]{1,2}){0,2}|[0-9]+-[0-9]{1,2}(:[0-9]{1,2}){0,2}|UNLIMITED|INFINITE)$");
    private static readonly Regex PartitionName = new(@"^[A-Za-z0-9_.,-]+$");
    private static readonly Regex ExtraOption = new(@"^--?[A-Za-z][A-Za-z0-9-]*(=[A-Za-z0-9_.,:%@+/=-]+)?$");

    /// <summary>A value in a one-line message, escaped as JSON so a newline in it stays on the line.</summary>
    private static string Shown(string value) => System.Text.Json.JsonSerializer.Serialize(value);

    private static void Check(string flag, string? value, Regex format, string expected)
    {
        if (value is not null && !format.IsMatch(value))
            throw new ProbesError($"{flag} {Shown(value)} is not {expected}; nothing was written.");
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
