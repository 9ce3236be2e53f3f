using System.Diagnostics;
using Xunit;

namespace Probes.Tests;

/// <summary>The repository the tests run from, its fixtures, and child processes run in it.</summary>
internal static class Repository
{
    /// <summary>The nearest folder above the test binaries that holds Probes.sln.</summary>
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Probes.sln"))) dir = dir.Parent;
            Assert.NotNull(dir);
            return dir!.FullName;
        }
    }

    /// <summary>A file of tests/fixtures (written by real PyTorch; the scripts that write them are beside them).</summary>
    public static string Fixture(string name) => Path.Combine(Root, "tests", "fixtures", name);

    /// <summary>Runs <paramref name="program"/> to its end; its exit code, standard output and standard error.</summary>
    public static (int Exit, string Out, string Err) Run(string program, IEnumerable<string> args, string? directory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (directory is not null) start.WorkingDirectory = directory;
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, output.Result, error.Result);
    }

    /// <summary>CSV lines without their wall-time columns (seconds, probe_seconds, selfstab_seconds): what a resume reproduces.</summary>
    public static string[] WithoutWallTimes(string[] lines)
    {
        var header = lines[0].Split(',');
        var keep = Enumerable.Range(0, header.Length).Where(i => header[i] is not ("seconds" or "probe_seconds" or "selfstab_seconds")).ToArray();
        return [.. lines.Select(l => string.Join(',', keep.Select(i => l.Split(',')[i])))];
    }
}
