using System.CommandLine;
using Training;
using Training.Cli;

var root = new RootCommand("probes: edge-of-stability probes for full-batch GD (Agarwala, Pedregosa & Pennington 2023).");
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(ReportCommands.Plot());
root.Subcommands.Add(ReportCommands.Report());
root.Subcommands.Add(ReportCommands.Compare());

try
{
    var parsed = root.Parse(args);
    return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (ProbesError e)
{
    Console.Error.WriteLine($"probes: {e.Message}");
    return e.ExitCode;
}
