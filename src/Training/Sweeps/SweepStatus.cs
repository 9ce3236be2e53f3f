using System.Text.Json.Nodes;
using Training.Runs;

namespace Training.Sweeps;

/// <summary>
/// Where a sweep point stands, from its run directory: pending (no run yet), running (its lock is held),
/// completed, diverged, interrupted (a stop signal, or a process that died while running: its lock is free),
/// or failed, with the failure's line.
/// </summary>
internal sealed record SweepStatus(int Index, string State, int? Step, int? Steps, string? Failure, JsonObject? Summary)
{
    public static SweepStatus Of(string sweepDir, SweepPoint point)
    {
        var runPath = Path.Combine(sweepDir, point.RunDir);
        var summaryPath = Path.Combine(runPath, RunSummary.FileName);
        if (!File.Exists(summaryPath))
            return new SweepStatus(point.Index, Directory.Exists(runPath) && Locked(runPath) ? "running" : "pending", null, null, null, null);
        JsonObject? summary;
        try { summary = JsonNode.Parse(File.ReadAllText(summaryPath)) as JsonObject; }
        catch (Exception e) when (e is System.Text.Json.JsonException or IOException or ArgumentException) { summary = null; }
        string state = Value<string>(summary, "status") ?? "unknown";
        if (Locked(runPath)) state = "running";
        else if (state == "running") state = "interrupted";            // its process died without a word (SIGKILL, a lost node)
        return new SweepStatus(point.Index, state, Value<int>(summary, "step"), Value<int>(summary, "steps"), Value<string>(summary, "failure"),
            summary);
    }

    /// <summary>A field of summary.json if it is there with its type; a damaged summary reads as unknown, never as an error.</summary>
    private static T? Value<T>(JsonObject? summary, string key) =>
        summary?[key] is JsonValue v && v.TryGetValue(out T? x) ? x : default;

    /// <summary>Whether a live process holds the run's lock (an advisory lock, freed when its holder dies).</summary>
    private static bool Locked(string runPath)
    {
        var lockPath = Path.Combine(runPath, "run.lock");
        if (!File.Exists(lockPath)) return false;
        try
        {
            using var probe = new FileStream(lockPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return false;
        }
        catch (IOException) { return true; }
    }
}
