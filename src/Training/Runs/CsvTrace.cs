using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;

namespace Training.Runs;

/// <summary>
/// An append-only CSV trace with a fixed header (CsvHelper). Each row is flushed to the OS as it is written,
/// so a killed run keeps every complete row; values a row lacks are empty cells, NaN and ±Inf are written as such; numbers are
/// written round-trip ("R") so traces compare bit for bit.
/// </summary>
public sealed class CsvTrace : IDisposable
{
    private readonly StreamWriter _stream;
    private readonly CsvWriter _csv;
    private readonly IReadOnlyList<string> _columns;

    public CsvTrace(string path, IReadOnlyList<string> columns)
    {
        _columns = columns;
        bool fresh = !File.Exists(path) || new FileInfo(path).Length == 0;
        _stream = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read));
        _csv = new CsvWriter(_stream, new CsvConfiguration(CultureInfo.InvariantCulture));
        if (fresh)
        {
            foreach (var c in columns) _csv.WriteField(c);
            EndRow();
        }
    }

    public string Path => ((FileStream)_stream.BaseStream).Name;

    /// <summary>Bytes written so far (every row is flushed, so this is a row boundary).</summary>
    public long Length => _stream.BaseStream.Length;

    public void Write(IEnumerable<KeyValuePair<string, double>> values)
    {
        var map = values.ToDictionary(p => p.Key, p => p.Value);
        foreach (var column in _columns)
            _csv.WriteField(map.TryGetValue(column, out var v) ? Format(v) : "");
        EndRow();
    }

    public void WriteFields(IEnumerable<string> fields)
    {
        foreach (var f in fields) _csv.WriteField(f);
        EndRow();
    }

    public static string Format(double v) =>
        v == Math.Floor(v) && Math.Abs(v) < 1e15 ? ((long)v).ToString(CultureInfo.InvariantCulture) : v.ToString("R", CultureInfo.InvariantCulture);

    private void EndRow()
    {
        _csv.NextRecord();
        _csv.Flush();
        _stream.Flush();
    }

    public void Dispose()
    {
        _csv.Dispose();
        _stream.Dispose();
    }
}
