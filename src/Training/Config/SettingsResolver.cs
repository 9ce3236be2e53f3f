using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Training.Config;

/// <summary>
/// Resolves a run's settings from layers, later ones winning: defaults, --preset, --config FILE, flags.
/// Each layer is a JSON object keyed by setting (the flag's name, in either spelling: see <see cref="SettingKeys"/>),
/// so one strict deserialisation checks every source: unknown keys and wrong types are one-line errors that
/// name the source.
/// </summary>
internal static class SettingsResolver
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = SettingKeys.Policy,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    private static readonly HashSet<string> Keys = typeof(TrainSettings).GetProperties()
        .Where(p => p.GetCustomAttributes(typeof(JsonIgnoreAttribute), false).Length == 0)
        .Select(p => SettingKeys.Policy.ConvertName(p.Name)).ToHashSet();

    public static TrainSettings Resolve(string? configFile, JsonObject flags)
    {
        var merged = new JsonObject();
        string? preset = flags["preset"]?.GetValue<string>();
        JsonObject? file = null;
        if (configFile is not null)
        {
            file = ReadConfigFile(configFile);
            preset ??= file["preset"]?.GetValue<string>();
        }
        if (preset is not null) Overlay(merged, Presets.Get(preset), $"preset {preset}");
        if (file is not null) Overlay(merged, file, configFile!);
        Overlay(merged, flags, "the command line");
        if (preset is not null) merged["preset"] = preset;
        TrainSettings settings;
        try { settings = merged.Deserialize<TrainSettings>(Json)!; }
        catch (JsonException e) { throw new ProbesError($"bad setting {e.Path?.TrimStart('$', '.')}: {FirstSentence(e.Message)}"); }
        SettingsValidator.Validate(settings);
        return settings;
    }

    internal static JsonObject ReadLayer(string path) => ReadConfigFile(path);

    private static JsonObject ReadConfigFile(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ProbesError($"cannot read config file {path}: {e.Message}");
        }
        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw new ProbesError($"{path}: a config file must hold one JSON object.");
        }
        catch (JsonException e)
        {
            string at = e.LineNumber is { } line ? $" at line {line + 1}, column {(e.BytePositionInLine ?? 0) + 1}" : "";
            throw new ProbesError($"{path}: not valid JSON{at} ({FirstSentence(e.Message)})");
        }
    }

    private static void Overlay(JsonObject target, JsonObject layer, string source)
    {
        foreach (var (key, value) in layer)
        {
            if (!Keys.Contains(SettingKeys.Of(key))) throw new ProbesError($"{source}: unknown setting '{key}'.");
            target[SettingKeys.Of(key)] = value?.DeepClone();
        }
    }

    private static string FirstSentence(string message)
    {
        int end = message.IndexOf(". ", StringComparison.Ordinal);
        return (end > 0 ? message[..(end + 1)] : message).ReplaceLineEndings(" ");
    }
}
