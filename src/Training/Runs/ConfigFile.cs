using System.Text.Json;
using System.Text.Json.Nodes;
using Training.Config;

namespace Training.Runs;

/// <summary>
/// config.json of a run directory, read and amended in one place: its "settings" object (the resolved
/// <see cref="TrainSettings"/>) and its "resumes" list. Unreadable or incomplete files are one-line errors.
/// </summary>
internal static class ConfigFile
{
    public const string Name = "config.json";

    /// <summary>The whole file.</summary>
    public static JsonObject Read(string runPath)
    {
        var path = Path.Combine(runPath, Name);
        if (!File.Exists(path)) throw new ProbesError($"{path} is missing: not a run directory, or an incomplete one.");
        return StrictJson.ReadObject(path, "a run's config.json");
    }

    /// <summary>The "settings" object, its keys in snake_case (as written; earlier versions wrote kebab-case).</summary>
    public static JsonObject SettingsNode(string runPath) =>
        SettingKeys.Normalized(Read(runPath)["settings"] as JsonObject
            ?? throw new ProbesError($"{Path.Combine(runPath, Name)} has no \"settings\" object (from an older version?)."));

    /// <summary>The run's settings.</summary>
    public static TrainSettings Settings(string runPath)
    {
        TrainSettings settings;
        var node = SettingsNode(runPath);
        foreach (var (key, value) in node) SettingsResolver.CheckType(key, value, $"{Path.Combine(runPath, Name)} settings");
        try { settings = node.Deserialize<TrainSettings>(SettingsResolver.Json)!; }
        catch (JsonException e) { throw new ProbesError($"{Path.Combine(runPath, Name)} is unreadable: {StrictJson.FirstSentence(e.Message)}."); }
        // A damaged file can still parse: its values get the same checks as a new run's.
        try { SettingsValidator.Validate(settings); }
        catch (ProbesError e) { throw new ProbesError($"{Path.Combine(runPath, Name)} holds an impossible setting: {e.Message}"); }
        return settings;
    }

    /// <summary>The length and SHA-256 of the --init-weights file when the run started, if it started from one.</summary>
    public static FileDigest? InitWeights(string runPath)
    {
        var node = Read(runPath)["init_weights"];
        if (node is null) return null;
        try { return node.Deserialize<FileDigest>(SettingsResolver.Json); }
        catch (JsonException e)
        {
            throw new ProbesError($"{Path.Combine(runPath, Name)}: init_weights is unreadable ({StrictJson.FirstSentence(e.Message)}).");
        }
    }

    /// <summary>
    /// Refuses a run whose --model file changed since it started (its length and SHA-256 in config.json's model_file): the
    /// network's code is in that file, so a resume, a replay or an export with another one would be another run.
    /// </summary>
    public static void RequireSameModelFile(string runPath, TrainSettings settings)
    {
        if (settings.Model is not { } path) return;
        var node = Read(runPath)["model_file"];
        FileDigest? recorded;
        try { recorded = node?.Deserialize<FileDigest>(SettingsResolver.Json); }
        catch (JsonException e)
        {
            throw new ProbesError($"{Path.Combine(runPath, Name)}: model_file is unreadable ({StrictJson.FirstSentence(e.Message)}).");
        }
        var now = File.Exists(path) ? FileDigest.Of(path) : null;
        if (recorded is null || now != recorded)
            throw new ProbesError($"the run's --model {path} is {(now is null ? "gone" : "changed")} since it started (its SHA-256 differs from "
                + "config.json's model_file): the network cannot be rebuilt; nothing was changed.");
    }

    /// <summary>The "resumes" list, if any.</summary>
    public static JsonNode? Resumes(string runPath)
    {
        try { return Read(runPath)["resumes"]?.DeepClone(); }
        catch (ProbesError) { return null; }
    }

    /// <summary>
    /// Records a resume: the new step count in settings.steps and an entry in "resumes" (from which step, to
    /// how many, when), so a report never contradicts the run. Written atomically.
    /// </summary>
    public static void RecordResume(string runPath, int fromStep, int steps)
    {
        var config = Read(runPath);
        config["settings"]!["steps"] = steps;
        var resumes = config["resumes"] as JsonArray ?? [];
        resumes.Add(new JsonObject { ["from_step"] = fromStep, ["steps"] = steps, ["utc"] = DateTime.UtcNow.ToString("O") });
        config["resumes"] = resumes;
        RunDirectory.WriteAtomically(Path.Combine(runPath, Name), stream =>
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            config.WriteTo(w);
        });
    }
}
