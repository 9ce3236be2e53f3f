namespace Probes.Probing;

/// <summary>One column of a trace file: its header name, what it holds, and its unit ("" if none).</summary>
public sealed record TraceColumn(string Name, string Meaning, string Unit = "")
{
    /// <summary>A schema as the README's Markdown table (name | meaning | unit), which a test holds the README to.</summary>
    public static string MarkdownTable(IEnumerable<TraceColumn> schema) =>
        "| column | meaning | unit |\n| --- | --- | --- |\n"
        + string.Concat(schema.Select(c => $"| `{c.Name}` | {c.Meaning.Replace("|", "\\|")} | {c.Unit} |\n"));
}
