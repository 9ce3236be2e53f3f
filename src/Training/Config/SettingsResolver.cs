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
        RespectNullableAnnotations = true,          // "n": null is refused, not a NullReferenceException later
    };

    private static readonly HashSet<string> Keys = typeof(TrainSettings).GetProperties()
        .Where(p => p.GetCustomAttributes(typeof(JsonIgnoreAttribute), false).Length == 0)
        .Select(p => SettingKeys.Policy.ConvertName(p.Name)).ToHashSet();

    /// <param name="flagsSource">What the top layer is, for its error lines ("the command line", or a sweep's settings).</param>
    public static TrainSettings Resolve(string? configFile, JsonObject flags, string flagsSource = "the command line")
    {
        var merged = new JsonObject();
        string? preset = PresetOf(flags, flagsSource);
        JsonObject? file = null;
        if (configFile is not null)
        {
            file = ReadConfigFile(configFile);
            preset ??= PresetOf(file, configFile);
        }
        if (preset is not null) Overlay(merged, Presets.Get(preset), $"preset {preset}");
        if (file is not null) Overlay(merged, file, configFile!);
        Overlay(merged, flags, flagsSource);
        if (preset is not null) merged["preset"] = preset;
        ExpandArchitecture(merged, flagsSource);
        TrainSettings settings;
        try { settings = merged.Deserialize<TrainSettings>(Json)!; }
        catch (JsonException e) { throw new ProbesError($"bad setting {e.Path?.TrimStart('$', '.')}: {StrictJson.FirstSentence(e.Message)}."); }
        try { SettingsValidator.Validate(settings); }
        catch (ProbesError e) when (preset is not null && PresetListAt(e.Message, preset, file, flags) is { } flag)
        {
            // A preset's window or spectrum step outside the user's --steps: say where it came from and which flag clears it.
            throw new ProbesError($"{e.Message.TrimEnd('.')} (from --preset {preset}): pass {flag} with steps inside 0..{settings.Steps}, "
                + $"or {flag} '' to drop it.");
        }
        return settings;
    }

    /// <summary>
    /// Cohen et al.'s ids (cnn-relu) as --arch cnn --activation relu, refusing an --activation that says otherwise; a cnn's width is
    /// Cohen et al.'s 32 channels unless set (the fc default of 200 would make a 200-channel convnet).
    /// </summary>
    private static void ExpandArchitecture(JsonObject merged, string source)
    {
        if (merged["model"] is JsonValue && merged["arch"] is null) merged["arch"] = "script";
        if (merged["arch"] is JsonValue value && value.TryGetValue(out string? id) && Model.Architecture.Split(id) is var (arch, activation))
        {
            if (merged["activation"] is JsonValue given && given.TryGetValue(out string? other) && other != activation)
                throw new ProbesError($"--arch {id} sets the activation to {activation}, but {source} also sets --activation {other}: drop one.");
            merged["arch"] = arch;
            merged["activation"] = activation;
        }
        if (merged["arch"] is JsonValue cnn && cnn.TryGetValue(out string? name) && name == "cnn" && merged["width"] is null)
            merged["width"] = Model.Architecture.CnnWidth;
    }

    /// <summary>The flag of a preset's list setting that <paramref name="message"/> is about, if neither the file nor the flags set it.</summary>
    private static string? PresetListAt(string message, string preset, JsonObject? file, JsonObject flags)
    {
        foreach (var flag in new[] { "--probe-window", "--spectra-at" })
        {
            string key = SettingKeys.Of(flag);
            bool userSet = flags.Any(p => SettingKeys.Of(p.Key) == key) || (file?.Any(p => SettingKeys.Of(p.Key) == key) ?? false);
            if (message.StartsWith(flag.TrimStart('-'), StringComparison.Ordinal) && !userSet && Presets.Get(preset).ContainsKey(flag.TrimStart('-')))
                return flag;
        }
        return null;
    }

    private static string? PresetOf(JsonObject layer, string source)
    {
        var node = layer.FirstOrDefault(p => SettingKeys.Of(p.Key) == "preset").Value;
        if (node is null) return null;
        return node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>()
            : throw new ProbesError($"{source}: setting 'preset' must be text (a preset's name), got {node.ToJsonString()}.");
    }

    internal static JsonObject ReadLayer(string path) => ReadConfigFile(path);

    private static JsonObject ReadConfigFile(string path) =>
        File.Exists(path) || Directory.Exists(path) ? StrictJson.ReadObject(path, "a config file")
            : throw new ProbesError($"cannot read config file {path}: no such file.");

    /// <summary>Lays one source over the merged settings; each value's type is checked here, so the error names its source.</summary>
    private static void Overlay(JsonObject target, JsonObject layer, string source)
    {
        foreach (var (key, value) in layer)
        {
            if (!Keys.Contains(SettingKeys.Of(key))) throw new ProbesError($"{source}: unknown setting '{key}'.");
            CheckType(key, value, source);
            target[SettingKeys.Of(key)] = value?.DeepClone();
        }
    }

    /// <summary>Whether one value reads as its setting's type (null only where the setting may be empty).</summary>
    public static void CheckType(string key, JsonNode? value, string source)
    {
        try { new JsonObject { [SettingKeys.Of(key)] = value?.DeepClone() }.Deserialize<TrainSettings>(Json); }
        catch (JsonException e)
        {
            string got = value is null ? "null" : value.ToJsonString();
            throw new ProbesError($"{source}: setting '{key}' cannot be {(got.Length > 40 ? got[..40] + "…" : got)} "
                + $"({StrictJson.FirstSentence(e.Message)}).");
        }
    }
}
