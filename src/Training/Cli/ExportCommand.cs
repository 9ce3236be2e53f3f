using System.CommandLine;
using Training.Model;
using Training.Runs;
using Training.Train;

namespace Training.Cli;

/// <summary>
/// <c>probes export RUN_DIR</c>: θ at the run's checkpoint (finished or not, even while the run goes on) as a
/// PyTorch state_dict, safetensors and torch.save pickle, named by the checkpoint's step.
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var runArg = new Argument<string>("RUN_DIR") { Description = "A run directory with a checkpoint." };
        var output = new Option<string?>("--out") { Description = "Folder for the files (default RUN_DIR)." };
        var json = new Option<bool>("--json") { Description = "Print the step and the files as JSON instead of one line." };
        var command = new Command("export", "Write θ at the run's last checkpoint as PyTorch files (weights-step-NNNNNN.safetensors and .pt).")
            { runArg, output, json };
        command.SetAction(r =>
        {
            using var run = RunDirectory.ForReading(r.GetValue(runArg)!);
            var settings = Trainer.ReadSettings(run);
            ConfigFile.RequireSameModelFile(run.Path, settings);
            var checkpoint = Checkpoint.Load(run);               // checks the model file's length and SHA-256
            var (dtype, device) = Trainer.Prepare(settings);
            using var model = Trainer.Build(settings, dtype, device);
            checkpoint.RestoreModel(run, model);
            string folder = r.GetValue(output) ?? run.Path;
            try { Directory.CreateDirectory(folder); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)     // as for a run directory: bad --out
            {
                throw new ProbesError($"cannot create {folder}: {e.Message}");
            }
            string stem = Path.Combine(folder, $"weights-step-{checkpoint.Step:D6}");
            // A killed export leaves its temporary files (a SIGKILL runs no clean-up): the next export removes them.
            foreach (var stale in Directory.EnumerateFiles(folder, "weights-step-*.tmp")) File.Delete(stale);
            PyTorchWeights.Write(model, stem + ".safetensors", stem + ".pt");
            ReportCommands.Print(r.GetValue(json), $"θ at step {checkpoint.Step} → {stem}.safetensors, {stem}.pt",
                new { step = checkpoint.Step, safetensors = stem + ".safetensors", pickle = stem + ".pt" });
            return 0;
        });
        return command;
    }
}
