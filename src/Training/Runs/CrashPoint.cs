using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Training.Runs;

/// <summary>
/// Fault injection for the kill-and-resume tests: with PROBES_CRASH_AT=PLACE:STEP in the environment the
/// process SIGKILLs itself when it reaches that place at that step (places: step, probe, checkpoint); with
/// PROBES_SIGNAL_AT=probe:STEP it sends itself SIGTERM as that step's probe starts, as a user's Ctrl-C would.
/// Unset, they do nothing.
/// </summary>
internal static class CrashPoint
{
    private static readonly string? Target = Environment.GetEnvironmentVariable("PROBES_CRASH_AT");
    private static readonly string? SignalTarget = Environment.GetEnvironmentVariable("PROBES_SIGNAL_AT");

    /// <summary>SIGTERM to this process at PROBES_SIGNAL_AT, then waits (≤ 5 s) until <paramref name="seen"/>.</summary>
    public static void SignalMaybe(string place, int step, Func<bool> seen)
    {
        if (SignalTarget is null || SignalTarget != $"{place}:{step}") return;
        _ = Kill(Environment.ProcessId, 15);
        var clock = Stopwatch.StartNew();
        while (!seen() && clock.Elapsed.TotalSeconds < 5) Thread.Sleep(1);
    }

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    public static void Maybe(string place, int step)
    {
        if (Target is not null && Target == $"{place}:{step}")
            Process.GetCurrentProcess().Kill();
    }
}
