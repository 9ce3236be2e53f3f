using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;

namespace Training.Runs;

/// <summary>
/// A trace CSV read back as named columns of doubles (empty cells are NaN). A broken file is a one-line
/// error naming the file and line: a row with the wrong number of fields, or a cell that is not a number;
/// a half-written last row (no line end, as a power cut leaves it) is dropped with a warning.
/// Text columns (spectra.csv's operator and end) are kept as strings.
/// </summary>
internal sealed class TraceTable
{
    private readonly Dictionary<string, double[]> _numbers = new();
    private readonly Dictionary<string, string[]> _text = new();

    public required string Path { get; init; }
    public required IReadOnlyList<string> Columns { get; init; }
    public int RowCount { get; private init; }

    public bool Has(string column) => _numbers.ContainsKey(column);

    public double[] this[string column] => _numbers.TryGetValue(column, out var v) ? v
        : throw new ProbesError($"{Path} has no column '{column}' (an older or hand-edited trace?).");

    public string[] Text(string column) => _text.TryGetValue(column, out var v) ? v
        : throw new ProbesError($"{Path} has no column '{column}'.");

    public static TraceTable Read(string path, IReadOnlySet<string>? textColumns = null)
    {
        if (!File.Exists(path)) throw new ProbesError($"{path} is missing.");
        var rows = new List<string[]>();
        string[] header;
        try
        {
            var text = File.ReadAllText(path);
            int end = text.LastIndexOf('\n');
            if (text.Length > 0 && end < text.Length - 1 && end > 0)
            {
                // A power cut can leave half a row after the last complete one: read what is whole, say what went.
                Console.Error.WriteLine($"warning: {path}: dropped a half-written last row ({text.Length - end - 1} bytes after line "
                    + $"{text[..end].Count(ch => ch == '\n') + 1}).");
                text = text[..(end + 1)];
            }
            using var reader = new StringReader(text);
            using var csv = new CsvReader(reader, new CsvConfiguration(CultureInfo.InvariantCulture) { BadDataFound = null });
            if (!csv.Read()) throw new ProbesError($"{path} is empty.");
            header = csv.Parser.Record!;
            while (csv.Read())
            {
                var record = csv.Parser.Record!;
                if (record.Length != header.Length)
                    throw new ProbesError($"{path}:{csv.Parser.RawRow}: {record.Length} fields where the header has {header.Length}.");
                rows.Add(record);
            }
        }
        catch (IOException e) { throw new ProbesError($"cannot read {path}: {e.Message}"); }
        var table = new TraceTable { Path = path, Columns = header, RowCount = rows.Count };
        for (int c = 0; c < header.Length; c++)
        {
            if (textColumns?.Contains(header[c]) == true)
            {
                table._text[header[c]] = rows.Select(r => r[c]).ToArray();
                continue;
            }
            var values = new double[rows.Count];
            for (int r = 0; r < rows.Count; r++)
            {
                var cell = rows[r][c];
                if (cell.Length == 0) values[r] = double.NaN;
                else if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out values[r]))
                    throw new ProbesError($"{path}:{r + 2}: column {header[c]} holds '{cell}', not a number.");
            }
            table._numbers[header[c]] = values;
        }
        return table;
    }
}
