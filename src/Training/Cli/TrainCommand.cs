using System.CommandLine;
using Training.Config;
using Training.Train;

namespace Training.Cli;

/// <summary><c>probes train</c>: one GD run with probes, into a new run directory, or resumed.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var options = new SettingsOptions();
        var resume = new Option<string?>("--resume")
        {
            Description =
            "Continue RUN_DIR from its last checkpoint with its own settings (only --steps may change)."
        };
        var command = new Command("train", "Train the network with full-batch GD, probes on, into a run directory.");
        options.AddTo(command);
        command.Options.Add(resume);
        command.SetAction(result =>
        {
            var layer = options.Layer(result);
            if (result.GetValue(resume) is { } runDir)
            {
                var others = layer.Select(p => p.Key).Where(k => k != "steps").ToList();
                if (others.Count > 0 || result.GetValue(options.Config) is not null)
                    throw new
                        ProbesError($"--resume uses the run's own settings; drop --{string.Join(", --", others.DefaultIfEmpty("config"))} (only "
                            + $"--steps may change).");
                return Trainer.Resume(runDir, layer["steps"]?.GetValue<int>());
            }
            var settings = SettingsResolver.Resolve(result.GetValue(options.Config), layer);
            return new Trainer(settings).Run();
        });
        return command;
    }
}
