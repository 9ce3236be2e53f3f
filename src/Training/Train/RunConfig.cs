using System.Diagnostics;
using System.Reflection;
using Training.Config;
using Training.Data;
using Training.Runs;

namespace Training.Train;

/// <summary>What config.json records: every resolved setting and everything needed to reproduce the run.</summary>
internal sealed record RunConfig(
    TrainSettings Settings, DatasetInfo Dataset, long Parameters, string GitCommit,
    IReadOnlyDictionary<string, string> Versions, string Machine, DateTime StartedUtc, FileDigest? InitWeights = null,
    FileDigest? ModelFile = null)
{
    public static IReadOnlyDictionary<string, string> PackageVersions() => new SortedDictionary<string, string>
    {
        [".NET"] = Environment.Version.ToString(),
        ["TorchSharp"] = Version(typeof(TorchSharp.torch)),
        ["libtorch"] = TorchSharp.torch.__version__,
        ["MathNet.Numerics"] = Version(typeof(MathNet.Numerics.Control)),
        ["Serilog"] = Version(typeof(Serilog.Log)),
        ["probes"] = Version(typeof(RunConfig)),
    };

    private static string Version(Type t) =>
        t.Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? t.Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>HEAD of the repository the program was built from, with "-dirty" for uncommitted changes.</summary>
    public static string CurrentGitCommit()
    {
        var root = CifarLocator.RepositoryRoot();
        if (root is null) return "unknown";
        string? Git(string args)
        {
            try
            {
                using var p = Process.Start(new ProcessStartInfo("git", args)
                {
                    WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true,
                })!;
                var output = p.StandardOutput.ReadToEnd().Trim();
                p.WaitForExit();
                return p.ExitCode == 0 ? output : null;
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException) { return null; }
        }
        var head = Git("rev-parse HEAD");
        if (head is null) return "unknown";
        return string.IsNullOrEmpty(Git("status --porcelain --untracked-files=no")) ? head : head + "-dirty";
    }

    public static string MachineDescription() =>
        $"{Environment.OSVersion}, {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}";
}
