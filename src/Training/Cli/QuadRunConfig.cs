using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Training.Runs;
using Training.Train;

namespace Training.Cli;

/// <summary>
/// config.json of a <c>probes quad …</c> directory: the command and every option's value as used (defaults included), the
/// versions, the git commit and the time, so that ε, z₀, t₀ or a phase grid are never lost. Its options sit under "quad", not
/// "settings", so no train command mistakes the folder for a training run.
/// </summary>
internal static class QuadRunConfig
{
    public static void Write(RunDirectory run, ParseResult parsed)
    {
        var options = new JsonObject();
        foreach (var option in parsed.CommandResult.Command.Options)
        {
            if (option.Name is "--help" or "-h" or "--json" || option is System.CommandLine.Help.HelpOption) continue;
            object? value = parsed.GetResult(option) is { } result ? result.GetValueOrDefault<object?>() : null;
            options[Config.SettingKeys.Of(option.Name)] = value is null ? null : JsonSerializer.SerializeToNode(value);
        }
        options["out"] = run.Path;
        var config = new JsonObject
        {
            ["command"] = string.Join(' ', parsed.CommandResult.Command.Parents.OfType<Command>().Where(c => c is not RootCommand).Reverse()
                .Select(c => c.Name).Append(parsed.CommandResult.Command.Name).Prepend("probes")),
            ["quad"] = options,
            ["versions"] = JsonSerializer.SerializeToNode(RunConfig.PackageVersions()),
            ["git_commit"] = RunConfig.CurrentGitCommit(),
            ["machine"] = RunConfig.MachineDescription(),
            ["started_utc"] = DateTime.UtcNow.ToString("O"),
        };
        RunDirectory.WriteAtomically(run.File(ConfigFile.Name), stream =>
        {
            using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            config.WriteTo(writer);
        });
    }
}
