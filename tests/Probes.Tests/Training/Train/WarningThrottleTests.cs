using System.Globalization;
using Spectre.Console;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Training.Train;
using Xunit;

namespace Probes.Tests;

public class WarningThrottleTests
{
    private sealed class Collect : ILogEventSink
    {
        public List<LogEvent> Events { get; } = [];
        public void Emit(LogEvent e) => Events.Add(e);
    }

    [Fact]
    public void ARepeatingWarningIsShownOncePerMinuteWithTheCountHeldBackAndEveryOccurrenceIsLogged()
    {
        var sink = new Collect();
        using var log = new LoggerConfiguration().MinimumLevel.Debug().WriteTo.Sink(sink).CreateLogger();
        var now = new DateTime(2026, 1, 1);
        var throttle = new WarningThrottle(log, () => now);
        for (int step = 0; step < 10; step++) { throttle.Warn("crossing", "Step {Step}: crossing", step); now += TimeSpan.FromSeconds(5); }
        now += TimeSpan.FromSeconds(20);                 // 70 s after the first
        throttle.Warn("crossing", "Step {Step}: crossing", 10);
        throttle.Warn("cap-q1", "Step {Step}: cap", 10);  // another kind is not held back by the first
        Assert.Equal(12, sink.Events.Count);
        var warnings = sink.Events.Where(e => e.Level == LogEventLevel.Warning).ToList();
        Assert.Equal(3, warnings.Count);
        Assert.Equal(9, ((ScalarValue)warnings[1].Properties["HeldBack"]).Value);
        Assert.Contains("9 more like it", warnings[1].RenderMessage(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void WarningsReachSpectresConsoleVerbatimEvenWithMarkupCharacters()
    {
        var text = new StringWriter();
        var console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
        {
            Out = new Spectre.Console.AnsiConsoleOutput(text), Ansi = Spectre.Console.AnsiSupport.No,
            ColorSystem = Spectre.Console.ColorSystemSupport.NoColors,
        });
        using var log = new LoggerConfiguration().WriteTo.Sink(new ProgressAwareSink(console)).CreateLogger();
        // Inside a live progress display, as during a run: the line is written through it, brackets and all.
        console.Progress().Start(context =>
        {
            context.AddTask("steps", maxValue: 2);
            log.Warning("Step {Step}: λ₁ [{Value}] crossed λ₂", 7, 2.01);
        });
        Assert.Contains("Step 7: λ₁ [2.01] crossed λ₂", text.ToString());
    }
}
