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
root.Subcommands.Add(FlowCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(QuadCommand.Create());
root.Subcommands.Add(SweepCommand.Create());

try
{
    var parsed = root.Parse(args);
    if (args.Length > 0 && !args[0].StartsWith('-') && root.Subcommands.All(c => c.Name != args[0]))
    {
        var nearest = root.Subcommands.MinBy(c => EditDistance(c.Name, args[0]))!;
        string hint = EditDistance(nearest.Name, args[0]) <= 2 ? $"; did you mean '{nearest.Name}'?" : "";
        Console.Error.WriteLine($"probes: unknown command '{args[0]}'{hint} (commands: {string.Join(", ", root.Subcommands.Select(c => c.Name))})");
        return ExitCodes.BadInput;
    }
    if (parsed.Errors.Count > 0 && !args.Contains("--help") && !args.Contains("-h"))
    {
        Console.Error.WriteLine($"probes: {parsed.Errors[0].Message} (see probes {string.Join(' ', args.TakeWhile(a => !a.StartsWith('-')).Take(1))} "
            + $"--help)");
        return ExitCodes.BadInput;
    }
    return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (ProbesError e)
{
    Console.Error.WriteLine($"probes: {e.Message}");
    return e.ExitCode;
}
catch (ArithmeticException e)      // a model's values overflowed float64 (QuadraticFit.Simulation.Gram): a divergence
{
    Console.Error.WriteLine($"probes: diverged: {e.Message.Split('\n')[0]}.");
    return ExitCodes.Diverged;
}
catch (IOException e)      // last resort for a write path without its own message (a full disk, a lost mount)
{
    Console.Error.WriteLine($"probes: a file operation failed: {e.Message}");
    return ExitCodes.WriteFailed;
}
catch (UnauthorizedAccessException e)
{
    Console.Error.WriteLine($"probes: permission denied: {e.Message}");
    return ExitCodes.WriteFailed;
}
catch (Exception e)        // a bug: one line for the terminal, the whole trace in a file for the report
{
    string crash = Path.Combine(Path.GetTempPath(), $"probes-crash-{Environment.ProcessId}.txt");
    try { File.WriteAllText(crash, $"probes {string.Join(' ', args)}\n{e}\n"); } catch (IOException) { crash = "(not written)"; }
    Console.Error.WriteLine($"probes: internal error ({e.GetType().Name}: {e.Message.Split('\n')[0]}); please report it with {crash}");
    return ExitCodes.Failure;
}

/// <summary>Levenshtein distance, for suggesting the command a typo meant.</summary>
static int EditDistance(string a, string b)
{
    var d = new int[a.Length + 1, b.Length + 1];
    for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
    for (int j = 0; j <= b.Length; j++) d[0, j] = j;
    for (int i = 1; i <= a.Length; i++)
        for (int j = 1; j <= b.Length; j++)
            d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
    return d[a.Length, b.Length];
}
