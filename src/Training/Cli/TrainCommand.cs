using System.CommandLine;
using Training.Config;
using Training.Train;

namespace Training.Cli;

/// <summary><c>probes train</c>: one GD run with probes, into a new run directory.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var options = new SettingsOptions();
        var command = new Command("train", "Train the network with full-batch GD, probes on, into a run directory.");
        options.AddTo(command);
        command.SetAction(result =>
        {
            var settings = SettingsResolver.Resolve(result.GetValue(options.Config), options.Layer(result));
            return new Trainer(settings).Run();
        });
        return command;
    }
}
