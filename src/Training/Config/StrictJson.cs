using System.Text.Json;
using System.Text.Json.Nodes;

namespace Training.Config;

/// <summary>
/// Reads every JSON file the tool takes (config files, config.json, checkpoint.json, sweep.json, fit.json) one way:
/// a file that is missing, unreadable, not JSON, not an object, or that names a key twice (exactly, or in both
/// spellings such as "probe-tol" and "probe_tol") is one line naming the file and the key. System.Text.Json keeps
/// the last of two equal keys silently and throws a bare ArgumentException later, so duplicates are found here.
/// </summary>
internal static class StrictJson
{
    /// <summary>The file's object; <paramref name="what"/> says what it should be ("a config file", "a run's config.json").</summary>
    public static JsonObject ReadObject(string path, string what)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ProbesError($"cannot read {path}: {e.Message}");
        }
        return ParseObject(text, path, what);
    }

    public static JsonObject ParseObject(string text, string path, string what)
    {
        JsonDocument document;
        try { document = JsonDocument.Parse(text); }
        catch (JsonException e)
        {
            string at = e.LineNumber is { } line ? $" at line {line + 1}, column {(e.BytePositionInLine ?? 0) + 1}" : "";
            throw new ProbesError($"{path}: not valid JSON{at} ({FirstSentence(e.Message)}).");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object) throw new ProbesError($"{path}: {what} must hold one JSON object.");
            CheckKeys(document.RootElement, path, "");
            return JsonObject.Create(document.RootElement.Clone())!;
        }
    }

    private static void CheckKeys(JsonElement element, string path, string at)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            int i = 0;
            foreach (var item in element.EnumerateArray()) CheckKeys(item, path, $"{at}[{i++}]");
            return;
        }
        if (element.ValueKind != JsonValueKind.Object) return;
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            string key = SettingKeys.Of(property.Name);
            if (seen.TryGetValue(key, out var first))
                throw new ProbesError(first == property.Name
                    ? $"{path}: key '{At(at, property.Name)}' appears twice; keep one."
                    : $"{path}: '{At(at, first)}' and '{At(at, property.Name)}' are the same key spelled two ways; keep one.");
            seen[key] = property.Name;
            CheckKeys(property.Value, path, At(at, property.Name));
        }
    }

    private static string At(string at, string key) => at.Length == 0 ? key : $"{at}.{key}";

    /// <summary>The first sentence of a System.Text.Json message, on one line.</summary>
    public static string FirstSentence(string message)
    {
        int end = message.IndexOf(". ", StringComparison.Ordinal);
        return (end > 0 ? message[..end] : message.TrimEnd('.')).ReplaceLineEndings(" ");
    }
}
