using Serilog;
using Serilog.Events;

namespace Training.Train;

/// <summary>
/// Keeps a warning that repeats (a λ₁/λ₂ crossing at every probe of an EOS window) from flooding the
/// terminal: the first of each kind is a warning, later ones at most once per <see cref="Interval"/>, saying
/// how many were held back; every occurrence still reaches the log files (at debug level when held back),
/// so the structured log stays complete.
/// </summary>
internal sealed class WarningThrottle(ILogger log, Func<DateTime>? clock = null)
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(60);
    private readonly Func<DateTime> _clock = clock ?? (() => DateTime.UtcNow);
    private readonly Dictionary<string, (DateTime Last, int Held)> _seen = new();

    public void Warn(string kind, string template, params object?[] values)
    {
        var now = _clock();
        if (_seen.TryGetValue(kind, out var seen) && now - seen.Last < Interval)
        {
            _seen[kind] = (seen.Last, seen.Held + 1);
            log.Write(LogEventLevel.Debug, template, values);
            return;
        }
        int held = _seen.TryGetValue(kind, out var before) ? before.Held : 0;
        _seen[kind] = (now, 0);
        if (held == 0) log.Warning(template, values);
        else log.ForContext("HeldBack", held).Warning(template + " ({HeldBack} more like it since the last such warning)", [.. values, held]);
    }
}
