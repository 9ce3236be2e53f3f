using System.Diagnostics;

namespace Training.Sweeps;

/// <summary>How to run this same program again (the apphost, or `dotnet probes.dll` under the SDK).</summary>
internal static class SelfCommand
{
    public static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var (file, prefix) = Parts();
        var start = new ProcessStartInfo(file);
        foreach (var a in prefix.Concat(args)) start.ArgumentList.Add(a);
        return start;
    }

    /// <summary>The command line as a shell would need it, for scripts (Slurm).</summary>
    public static string Shell()
    {
        var (file, prefix) = Parts();
        return string.Join(' ', new[] { file }.Concat(prefix).Select(Quote));
    }

    private static (string File, string[] Prefix) Parts()
    {
        var process = Environment.ProcessPath ?? "dotnet";
        // An installed .NET tool runs from a version-numbered folder under .store that the next `dotnet tool update` removes:
        // a script (queued for hours) must call the tool's stable shim beside .store instead.
        int store = process.IndexOf($"{Path.DirectorySeparatorChar}.store{Path.DirectorySeparatorChar}", StringComparison.Ordinal);
        if (store > 0 && Path.Combine(process[..store], Path.GetFileName(process)) is var shim && File.Exists(shim)) return (shim, []);
        var dll = Path.Combine(AppContext.BaseDirectory, "probes.dll");
        return Path.GetFileNameWithoutExtension(process) == "dotnet" ? (process, [dll]) : (process, []);
    }

    /// <summary>One word for bash: as it is when it holds only safe characters, else single-quoted.</summary>
    public static string Quote(string s) => s.All(c => char.IsLetterOrDigit(c) || "/._-+=:".Contains(c)) ? s : $"'{s.Replace("'", "'\\''")}'";
}
