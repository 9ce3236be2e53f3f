using System.Text.Json;
using System.Text.Json.Serialization;

namespace Training.Reports;

/// <summary>JSON for results scripts read (fit.json, --json output): camelCase, NaN allowed, indented.</summary>
internal static class ReportJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
