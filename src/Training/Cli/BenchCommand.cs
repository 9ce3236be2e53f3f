using System.CommandLine;

namespace Training.Cli;

/// <summary><c>probes bench</c>: prints the cost figures (filled in by Bench/).</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Print timings of forward, backward, training step and probe matvecs.");
        var n = new Option<int>("--n") { Description = "Training examples (default 5000).", DefaultValueFactory = _ => 5000 };
        var threads = new Option<int>("--threads") { Description = "Torch threads (default 2).", DefaultValueFactory = _ => 2 };
        var data = new Option<string?>("--data") { Description = "CIFAR-10 folder (as for train)." };
        command.Options.Add(n);
        command.Options.Add(threads);
        command.Options.Add(data);
        command.SetAction(result => Bench.Benchmark.Run(result.GetValue(data), result.GetValue(n), result.GetValue(threads)));
        return command;
    }
}
