using Spectre.Console;

namespace Training.Train;

/// <summary>How a run reports progress: a Spectre.Console bar on a terminal, nothing extra otherwise
/// (the logger then prints periodic lines).</summary>
internal interface IProgress
{
    void Report(int step, int total, string status);
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
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
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
    }

    private sealed class Bar(ProgressTask task) : IProgress
    {
        public void Report(int step, int total, string status)
        {
            task.Value = step;
            task.Description = Markup.Escape(status);
        }
    }
}
