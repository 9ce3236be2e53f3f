using Spectre.Console;

namespace Training.Train;

/// <summary>How a run reports progress: a Spectre.Console bar on a terminal, nothing extra otherwise
/// (the logger then prints periodic lines).</summary>
internal interface IProgress
{
    void Report(int step, int total, string status);

    /// <summary>A line for the user now, from any thread: above the bar when there is one, else on stderr.</summary>
    void Notice(string line);
}

internal static class ProgressDisplay
{
    public static bool Interactive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Runs <paramref name="work"/> under a progress bar when interactive, else with a silent reporter.</summary>
    public static T Run<T>(int total, Func<IProgress, T> work)
    {
        if (!Interactive) return work(new Silent());
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            // No RemainingTimeColumn: its rate swings while probes run; the description carries RunEta's estimate instead.
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 12 }, new ElapsedTimeColumn(),
                new SpinnerColumn())
            .Start(context =>
            {
                var task = context.AddTask("starting", maxValue: Math.Max(total, 1));
                result = work(new Bar(task));
            });
        return result;
    }

    private sealed class Silent : IProgress
    {
        public void Report(int step, int total, string status) { }

        public void Notice(string line) => Console.Error.WriteLine(line);
    }

    private sealed class Bar(ProgressTask task) : IProgress
    {
        public void Report(int step, int total, string status)
        {
            task.Value = step;
            task.Description = Markup.Escape(status);
        }

        // Spectre's progress renderer draws any console output above its live region, under its own lock.
        public void Notice(string line) => AnsiConsole.MarkupLine(Markup.Escape(line));
    }
}
