using System.Text.Json.Nodes;
using Probes.Probing;
using Training.Flows;
using Training.Train;

namespace Training.Runs;

/// <summary>
/// What python/probes_reader.py needs to read a run's traces with their types, built from the code's own schemas: each file's
/// columns in order (k-indexed families such as ntk_1 … ntk_k as one "ntk_{i}" entry), its integer columns (steps, indices,
/// matvec counts, flags) and its text columns. Written to python/probes_schema.json; a test holds the file to this.
/// </summary>
internal static class ReaderSchema
{
    public const string FileName = "probes_schema.json";
    private static readonly IReadOnlySet<string> None = new HashSet<string>();

    public static JsonObject Build() => new()
    {
        ["train.csv"] = File(TrainStepMetrics.Schema, None),
        ["probes.csv"] = File(ProbeColumns.Schema(2), None, families: true),
        ["spectra.csv"] = File(SpectrumValue.Schema, SpectrumValue.TextColumns),
        ["density.csv"] = File(DensityColumns.Schema, DensityColumns.TextColumns),
        ["central-flow.csv"] = File(FlowColumns.Schema(2), None, families: true),
    };

    /// <summary>
    /// A file's entry. With <paramref name="families"/> (a schema at k = 2), a column whose name ends in _1 followed by its _2 twin
    /// is a family of k columns, written once as name_{i}.
    /// </summary>
    private static JsonObject File(IReadOnlyList<TraceColumn> schema, IReadOnlySet<string> text, bool families = false)
    {
        var names = schema.Select(c => c.Name).ToList();
        var columns = new List<string>();
        for (int i = 0; i < names.Count; i++)
        {
            string name = names[i];
            bool family = families && name.EndsWith("_1", StringComparison.Ordinal) && i + 1 < names.Count
                && names[i + 1] == name[..^2] + "_2";
            columns.Add(family ? name[..^2] + "_{i}" : name);
            if (family) i++;
        }
        var integer = schema.Where(c => c.Name is "step" or "index" or "crossing" or "warm_lag" || c.Unit == "matvecs").Select(c => c.Name);
        return new JsonObject
        {
            ["columns"] = new JsonArray([.. columns.Select(c => (JsonNode)c)]),
            ["integer"] = new JsonArray([.. integer.Select(c => (JsonNode)c)]),
            ["text"] = new JsonArray([.. text.Order().Select(c => (JsonNode)c)]),
        };
    }
}
