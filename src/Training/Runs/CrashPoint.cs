using System.Diagnostics;

namespace Training.Runs;

/// <summary>
/// Fault injection for the kill-and-resume tests: with PROBES_CRASH_AT=PLACE:STEP in the environment the
/// process SIGKILLs itself when it reaches that place at that step (places: step, probe, checkpoint).
/// Unset, it does nothing.
/// </summary>
public static class CrashPoint
{
    private static readonly string? Target = Environment.GetEnvironmentVariable("PROBES_CRASH_AT");

    public static void Maybe(string place, int step)
    {
        if (Target is not null && Target == $"{place}:{step}")
            Process.GetCurrentProcess().Kill();
    }
}
