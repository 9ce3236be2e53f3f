namespace Training.Train;

/// <summary>Peak resident memory of this process as the operating system counts it (VmHWM), not a tensor count.</summary>
internal static class PeakMemory
{
    /// <summary>Bytes, or null where /proc is not there.</summary>
    public static long? Bytes()
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return null;
        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:"));
        return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }

    public static string Text() => Bytes() is { } b ? $"{b / 1e9:F2} GB" : "unknown";
}
