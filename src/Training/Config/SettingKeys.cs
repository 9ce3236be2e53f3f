using System.Text.Json;
using System.Text.Json.Nodes;

namespace Training.Config;

/// <summary>
/// Settings are keyed in snake_case in every file the tool writes (config.json, checkpoint.json, sweep.json): the
/// flag --probe-tol is the key probe_tol. Every input layer (presets, --config files, sweep grids, run directories
/// written by earlier versions) may spell a key either way; it is read through <see cref="Of"/>.
/// </summary>
internal static class SettingKeys
{
    public static readonly JsonNamingPolicy Policy = JsonNamingPolicy.SnakeCaseLower;

    /// <summary>The key of a flag or of a key in either spelling: "--probe-tol", "probe-tol", "probe_tol" → "probe_tol".</summary>
    public static string Of(string flagOrKey) => flagOrKey.TrimStart('-').Replace('-', '_');

    /// <summary>A copy of the object with every top-level key in snake_case.</summary>
    public static JsonObject Normalized(JsonObject layer)
    {
        var result = new JsonObject();
        foreach (var (key, value) in layer) result[Of(key)] = value?.DeepClone();
        return result;
    }
}
