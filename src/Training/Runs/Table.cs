using Probes.Probing;

namespace Training.Runs;

/// <summary>
/// A CSV table of records of <typeparamref name="T"/>, declared once: its file name and, per column, the header,
/// what it holds and how a record gives it. The writer and the README's table (<see cref="Schema"/>, held to the
/// README by a test) both come from this one declaration.
/// </summary>
internal sealed class Table<T>(string file, IReadOnlyList<Table<T>.Column> columns)
{
    /// <summary>One column: header, meaning, the value of a record, unit ("" if none).</summary>
    public sealed record Column(string Name, string Meaning, Func<T, double> Value, string Unit = "");

    /// <summary>The file name inside a run directory.</summary>
    public string File => file;

    public IReadOnlyList<TraceColumn> Schema { get; } = [.. columns.Select(c => new TraceColumn(c.Name, c.Meaning, c.Unit))];

    /// <summary>
    /// Writes every record, one row each, to <see cref="File"/> in <paramref name="run"/> (NaN as an empty cell); returns the path.
    /// </summary>
    public string Write(RunDirectory run, IEnumerable<T> records)
    {
        var path = run.File(file);
        using var csv = new CsvTrace(path, [.. columns.Select(c => c.Name)]);
        // A NaN is a value not computed for that record: an empty cell, as in probes.csv.
        foreach (var record in records)
            csv.Write(columns.Select(c => KeyValuePair.Create(c.Name, c.Value(record))).Where(p => !double.IsNaN(p.Value)));
        return path;
    }
}
