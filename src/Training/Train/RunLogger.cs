using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace Training.Train;

/// <summary>
/// A run's logs: log.clef (Serilog compact JSON, every event with its properties, for later analysis) and
/// log.txt (the same, readable). The console gets warnings only while a progress bar owns the terminal, written
/// above the bar through Spectre (<see cref="ProgressAwareSink"/>), and information (periodic progress lines) otherwise.
/// </summary>
internal static class RunLogger
{
    public static Serilog.Core.Logger Create(string clefPath, string textPath, bool interactive) =>
        new LoggerConfiguration()
            .MinimumLevel.Debug()
            .WriteTo.File(new CompactJsonFormatter(), clefPath, flushToDiskInterval: TimeSpan.FromSeconds(1))
            .WriteTo.File(textPath, outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} [{Level:u3}] {Message:lj}{NewLine}{Exception}",
                flushToDiskInterval: TimeSpan.FromSeconds(1))
            // The reason a run stops is printed once, as the program's last line; the log files keep it too.
            .WriteTo.Logger(console =>
            {
                var shown = console.Filter.ByExcluding(e => e.Properties.ContainsKey(FileOnly));
                if (interactive) shown.WriteTo.Sink(new ProgressAwareSink(Spectre.Console.AnsiConsole.Console), LogEventLevel.Warning);
                else shown.WriteTo.Console(restrictedToMinimumLevel: LogEventLevel.Information,
                    outputTemplate: "{Timestamp:HH:mm:ss} {Message:lj}{NewLine}", standardErrorFromLevel: LogEventLevel.Warning);
            })
            .CreateLogger();

    /// <summary>A property that keeps an event off the console (<c>log.ForContext(RunLogger.FileOnly, true)</c>).</summary>
    public const string FileOnly = "FileOnly";
}
