using System.CommandLine;
using Training;
using Training.Cli;

var root = new RootCommand("probes: edge-of-stability probes for full-batch GD (Agarwala, Pedregosa & Pennington 2023).");
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(ReportCommands.Plot());
root.Subcommands.Add(ReportCommands.Report());
root.Subcommands.Add(ReportCommands.Compare());
root.Subcommands.Add(FitCommand.Create());
root.Subcommands.Add(QuadCommand.Create());

try
{
    var parsed = root.Parse(args);
    if (parsed.Errors.Count > 0 && !args.Contains("--help") && !args.Contains("-h"))
    {
        Console.Error.WriteLine($"probes: {parsed.Errors[0].Message} (see probes {string.Join(' ', args.TakeWhile(a => !a.StartsWith('-')).Take(1))} --help)");
        return ExitCodes.BadInput;
    }
    return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (ProbesError e)
{
    Console.Error.WriteLine($"probes: {e.Message}");
    return e.ExitCode;
}
