using Serilog.Core;
using Serilog.Events;
using Spectre.Console;

namespace Training.Train;

/// <summary>
/// Console warnings while a Spectre progress bar owns the terminal: written through Spectre's own console, which
/// puts them above the live bar instead of into it (a plain stderr write would tear the bar's last redraw apart).
/// </summary>
internal sealed class ProgressAwareSink(IAnsiConsole console) : ILogEventSink
{
    public void Emit(LogEvent logEvent)
    {
        string text = $"{logEvent.Timestamp:HH:mm:ss} {logEvent.RenderMessage()}";
        string colour = logEvent.Level >= LogEventLevel.Error ? "red" : "yellow";
        console.MarkupLine($"[{colour}]{Markup.Escape(text)}[/]");
    }
}
