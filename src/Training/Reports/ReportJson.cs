using System.Text.Json;
using System.Text.Json.Serialization;

namespace Training.Reports;

/// <summary>
/// JSON for results that scripts read (fit.json, figure.json, every --json output): snake_case keys, as in
/// config.json and summary.json, and a non-finite number (a fit with too few points, an empty window) as null.
/// </summary>
internal static class ReportJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,                // keys chosen by the writer (file names, column names) stay as they are
        Converters = { new FiniteOrNull() },
    };

    /// <summary>The key a property of a written record has, for the readers of fit.json.</summary>
    public static string Key(string propertyName) => JsonNamingPolicy.SnakeCaseLower.ConvertName(propertyName);

    /// <summary>NaN and ±∞ are written as null and read back as NaN.</summary>
    private sealed class FiniteOrNull : JsonConverter<double>
    {
        public override bool HandleNull => true;

        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? double.NaN : reader.GetDouble();

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (double.IsFinite(value)) writer.WriteNumberValue(value);
            else writer.WriteNullValue();
        }
    }
}
