using System.CommandLine;
using System.Text.Json.Nodes;
using Training.Config;
using Training.Sweeps;

namespace Training.Cli;

/// <summary>
/// <c>probes sweep create|run|slurm|status|report</c>: grids of train settings as ordinary run directories,
/// run here (--workers) or as a Slurm job array, and summarised in one table.
/// </summary>
internal static class SweepCommand
{
    public static Command Create()
    {
        var command = new Command("sweep", "Sweeps of train settings: one run directory per point, run here or as a Slurm job array.");
        command.Subcommands.Add(CreateSweep());
        command.Subcommands.Add(Run());
        command.Subcommands.Add(Slurm());
        command.Subcommands.Add(Status());
        command.Subcommands.Add(Report());
        return command;
    }

    private static Argument<string> Dir() => new("SWEEP_DIR") { Description = "The sweep directory." };

    private static Command CreateSweep()
    {
        var dir = Dir();
        var grid = new Option<string[]>("--grid")
        {
            Description = "An axis KEY=V1,V2,… with train's keys (repeatable; points are the product).",
            AllowMultipleArgumentsPerToken = true
        };
        var set = new Option<string[]>("--set")
        {
            Description = "A fixed setting KEY=VALUE for every point (repeatable).",
            AllowMultipleArgumentsPerToken = true
        };
        var config = new Option<string?>("--config") { Description = "A JSON file of settings (train's keys) for every point; --set wins." };
        var command = new Command("create", "Write SWEEP_DIR/sweep.json: the points and their run directories.") { dir, grid, set, config };
        command.SetAction(r =>
        {
            var baseLayer = r.GetValue(config) is { } file ? SettingKeys.Normalized(SettingsResolver.ReadLayer(file)) : new JsonObject();
            var given = new HashSet<string>();
            foreach (var kv in r.GetValue(set) ?? [])
            {
                int eq = kv.IndexOf('=');
                if (eq <= 0) throw new ProbesError($"--set '{kv}' is not KEY=VALUE.");
                string key = SettingKeys.Of(kv[..eq].Trim());
                if (!given.Add(key)) throw new ProbesError($"--set {kv[..eq]} is given twice (in either spelling); keep one.");
                baseLayer[key] = SweepManifest.ParseValue(kv[(eq + 1)..]);      // over the config file's value: --set wins
            }
            var manifest = SweepManifest.FromGrid(baseLayer, r.GetValue(grid) ?? []);
            string sweepDir = r.GetValue(dir)!;
            manifest.Write(sweepDir);
            Console.WriteLine($"sweep {sweepDir}: {manifest.Points.Count} points over {string.Join(" × ", manifest.Axes)}");
            Console.WriteLine($"next: probes sweep run {sweepDir} --workers N   or   probes sweep slurm {sweepDir} --submit");
            return 0;
        });
        return command;
    }

    private static Command Run()
    {
        var dir = Dir();
        var index = new Option<int?>("--index") { Description = "Run this point only (default: $SLURM_ARRAY_TASK_ID or $JOB_COMPLETION_INDEX)." };
        var workers = new Option<int?>("--workers") { Description = "Run every unfinished point here, this many at a time." };
        var threads = new Option<int?>("--threads") { Description = "Torch threads per run (with --workers: cores divided between them)." };
        threads.Validators.Add(r => { if (SettingsValidator.ThreadsError(r.GetValueOrDefault<int?>()) is { } e) r.AddError(e); });
        var command = new Command("run", "Run sweep points: new runs start, interrupted ones resume, finished ones are skipped.") { dir, index,
            workers, threads };
        command.SetAction(r =>
        {
            string sweepDir = r.GetValue(dir)!;
            if (r.GetValue(workers) is { } n)
            {
                if (n < 1) throw new ProbesError("--workers must be positive.");
                int per = r.GetValue(threads) ?? Math.Max(1, Environment.ProcessorCount / n);
                return SweepRunner.RunLocal(sweepDir, n, per);
            }
            return SweepRunner.RunPoint(sweepDir, SweepRunner.IndexFrom(r.GetValue(index)), r.GetValue(threads));
        });
        return command;
    }

    private static Command Slurm()
    {
        var dir = Dir();
        var submit = new Option<bool>("--submit")
        {
            Description =
            "Submit with sbatch (default: write SWEEP_DIR/sweep.sbatch and print how to submit it)."
        };
        var parallel = new Option<int>("--parallel")
        {
            Description = "At most this many tasks at once (%K; 0: no limit).",
            DefaultValueFactory = _ => 0
        };
        var cpus = new Option<int>("--cpus-per-task")
        {
            Description = "Cores per task, used as torch threads.",
            DefaultValueFactory = _ => 2
        };
        var time = new Option<string?>("--time") { Description = "Slurm time limit per task, e.g. 02:00:00." };
        var partition = new Option<string?>("--partition") { Description = "Slurm partition." };
        var extra = new Option<string?>("--sbatch") { Description = "One more #SBATCH line, e.g. '--mem=8G'." };
        var command = new Command("slurm", "The sweep as a Slurm job array script (sweep.sbatch), optionally submitted.") { dir, submit, parallel,
            cpus, time, partition, extra };
        command.SetAction(r =>
        {
            string sweepDir = r.GetValue(dir)!;
            var manifest = SweepManifest.Read(sweepDir);
            if (SettingsValidator.ThreadsError(r.GetValue(cpus)) is { } e) throw new ProbesError(e.Replace("--threads", "--cpus-per-task"));
            var text = SlurmScript.Text(sweepDir, manifest.Points.Count, r.GetValue(parallel), r.GetValue(cpus), r.GetValue(time),
                r.GetValue(partition), r.GetValue(extra));
            var (path, job) = SlurmScript.Write(sweepDir, text, r.GetValue(submit));
            Console.WriteLine(job is null ? $"wrote {path}; submit with: sbatch {path}" :
                $"submitted {path} as job {job} ({manifest.Points.Count} tasks)");
            Console.WriteLine($"then: probes sweep status {sweepDir}   probes sweep report {sweepDir}");
            return 0;
        });
        return command;
    }

    private static Command Status()
    {
        var dir = Dir();
        var command = new Command("status", "Each point: pending, running, completed, diverged, interrupted or failed (with the failure's line).") {
            dir };
        command.SetAction(r =>
        {
            string sweepDir = r.GetValue(dir)!;
            var manifest = SweepManifest.Read(sweepDir);
            var rows = manifest.Points.Select(p => SweepStatus.Of(sweepDir, p)).ToList();
            foreach (var (p, s) in manifest.Points.Zip(rows))
                Console.WriteLine($"{p.Index,5}  {s.State,-11} {(s.Step is { } st ? $"step {st}/{s.Steps}" : ""),-16} {p.Settings.ToJsonString()}"
                    + (s.Failure is { } f ? $"  {f}" : ""));
            Console.WriteLine(string.Join(", ", rows.GroupBy(s => s.State).Select(g => $"{g.Count()} {g.Key}")));
            return 0;
        });
        return command;
    }

    private static Command Report()
    {
        var dir = Dir();
        var command = new Command("report", "One table across the sweep's runs (CSV and HTML) with its figures.") { dir };
        command.SetAction(r =>
        {
            var (csv, html, rows) = SweepReport.Write(r.GetValue(dir)!);
            Console.WriteLine($"{rows.Count} points ({string.Join(", ", rows.GroupBy(s => s.State).Select(g => $"{g.Count()} {g.Key}"))}) → {csv}, "
                + $"{html}");
            return 0;
        });
        return command;
    }
}
