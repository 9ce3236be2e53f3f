using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;

namespace Training.Runs;

/// <summary>
/// An append-only CSV trace with a fixed header (CsvHelper). Each row is flushed to the OS as it is written,
/// so a killed run keeps every complete row; values a row lacks are empty cells, NaN and ±Inf are written as such; numbers are
/// written round-trip ("R") so traces compare bit for bit.
/// </summary>
internal sealed class CsvTrace : ITrace
{
    private readonly StreamWriter _stream;
    private readonly CsvWriter _csv;
    private readonly IReadOnlyList<string> _columns;

    private readonly string _path;
    private long _complete;          // length after the last complete row
    private bool _failed;

    public CsvTrace(string path, IReadOnlyList<string> columns)
        : this(OpenAppend(CheckHeader(path, columns)), path, columns, !File.Exists(path) || new FileInfo(path).Length == 0) { }

    /// <summary>
    /// Appending rows of other columns to an existing trace (a run resumed by a version that writes more
    /// columns) would misalign every later row: refuse before anything is written.
    /// </summary>
    private static string CheckHeader(string path, IReadOnlyList<string> columns)
    {
        if (!File.Exists(path) || new FileInfo(path).Length == 0) return path;
        string? first;
        using (var reader = new StreamReader(path)) first = reader.ReadLine();
        string expected = string.Join(",", columns);
        if (first != expected)
            throw new
                ProbesError($"{path} has the columns of another version of probes ({first?.Split(',').Length ?? 0} where this one writes "
                    + $"{columns.Count}); resume it with the version that started it.");
        return path;
    }

    /// <summary>Over any stream (tests inject one that fails like a full disk).</summary>
    internal CsvTrace(Stream stream, string path, IReadOnlyList<string> columns, bool fresh)
    {
        _path = path;
        _columns = columns;
        _stream = new StreamWriter(stream);
        _complete = stream.Length;
        _csv = new CsvWriter(_stream, new CsvConfiguration(CultureInfo.InvariantCulture));
        if (fresh)
        {
            foreach (var c in columns) _csv.WriteField(c);
            EndRow();
        }
    }

    private static FileStream OpenAppend(string path)
    {
        // No FileStream buffer: bytes reach the OS only at a row's end, so a failed row can be cut back whole.
        try { return new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ProbesError($"cannot open {path} for writing: {e.Message}", ExitCodes.WriteFailed);
        }
    }

    public string Path => _path;

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

    /// <summary>
    /// Ends and flushes a row. If the write fails (a full disk, say), the file is cut back to its last complete
    /// row, so what was written stays complete, and the run stops with one clear line.
    /// </summary>
    private void EndRow()
    {
        if (_failed) throw new InvalidOperationException($"{_path}: writing after a failed write.");
        try
        {
            _csv.NextRecord();
            _csv.Flush();
            _stream.Flush();
            _complete = _stream.BaseStream.Length;
        }
        catch (IOException e)
        {
            _failed = true;
            try { _stream.BaseStream.SetLength(_complete); } catch (IOException) { }
            throw new ProbesError($"cannot write {_path}: {e.Message} (rows up to the last complete one are kept).", ExitCodes.WriteFailed);
        }
    }

    /// <summary>Closes the file; a write that fails here (a full disk) leaves the complete rows and no exception.</summary>
    public void Dispose()
    {
        try
        {
            if (!_failed) { _csv.Flush(); _stream.Flush(); _complete = _stream.BaseStream.Length; }
        }
        catch (IOException) { _failed = true; }
        try { if (_failed) _stream.BaseStream.SetLength(_complete); } catch (IOException) { }
        try { _stream.BaseStream.Dispose(); } catch (IOException) { }   // never flush a failed row's leftovers
    }
}
