using Google.Protobuf;
using Tensorboard;

namespace Training.Runs;

/// <summary>
/// RUN_DIR/tensorboard/events.out.tfevents.probes: the run's traces as TensorBoard scalars (train/…, probes/…), and its settings
/// as text, written as the CSV rows are. TensorBoard's record framing (length, masked CRC32C of the length, the Event
/// protobuf, masked CRC32C of it) over TorchSharp's Event and Summary classes and its CRC32C. TorchSharp's own SummaryWriter
/// cannot serve here: it opens the file anew for every event, names it by the clock, and writes .NET ticks as the wall time;
/// this file has one fixed name, wall times in seconds since 1970 as TensorBoard expects, and every event flushed whole, so a
/// checkpoint records its length like a CSV's and a resume cuts it back to that length and appends: the same events as a run
/// straight through, their wall times aside.
/// </summary>
internal sealed class TensorBoardTrace : ITrace
{
    /// <summary>The file, relative to the run directory (one name, so a resume appends to it and sweeps overlay run by run).</summary>
    public const string RelativePath = "tensorboard/events.out.tfevents.probes";

    /// <summary>The figures' file beside it, rewritten whole by each `plot` or `report`.</summary>
    public const string FiguresPath = "tensorboard/events.out.tfevents.probes-figures";

    private readonly Stream _stream;
    private long _complete;
    private bool _failed;

    public TensorBoardTrace(string path) : this(Open(path), path) { }

    /// <summary>Over any stream (tests inject one that fails like a full disk).</summary>
    internal TensorBoardTrace(Stream stream, string path)
    {
        Path = path;
        _stream = stream;
        _complete = _stream.Length;
        if (_complete == 0) Write(new Event { WallTime = Now, FileVersion = "brain.Event:2" });
    }

    private static FileStream Open(string path)
    {
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            return new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ProbesError($"cannot open {path} for writing: {e.Message}", ExitCodes.WriteFailed);
        }
    }

    public string Path { get; }
    public long Length => _stream.Length;

    /// <summary>One event at <paramref name="step"/> with a float scalar per finite value, tagged <paramref name="group"/>/name.</summary>
    public void Scalars(int step, string group, IEnumerable<KeyValuePair<string, double>> values)
    {
        var summary = new Summary();
        foreach (var (name, value) in values)
            if (double.IsFinite(value)) summary.Value.Add(new Summary.Types.Value { Tag = $"{group}/{name}", SimpleValue = (float)value });
        if (summary.Value.Count > 0) Write(new Event { WallTime = Now, Step = step, Summary = summary });
    }

    /// <summary>Text under <paramref name="tag"/> for TensorBoard's text plugin (a string tensor), at step 0.</summary>
    public void Text(string tag, string text)
    {
        var value = new Summary.Types.Value
        {
            Tag = tag,
            Metadata = new SummaryMetadata { PluginData = new SummaryMetadata.Types.PluginData { PluginName = "text" } },
            Tensor = new TensorProto { Dtype = DataType.DtString, TensorShape = new TensorShapeProto() },
        };
        value.Tensor.StringVal.Add(ByteString.CopyFromUtf8(text));
        Write(new Event { WallTime = Now, Step = 0, Summary = new Summary { Value = { value } } });
    }

    /// <summary>
    /// The run's figures as TensorBoard images (figures/&lt;name&gt;, PNG as drawn) at <paramref name="step"/>, the run's last: a
    /// file of their own, written atomically, so the training trace stays append-only and a new plot replaces the old images.
    /// </summary>
    public static void WriteFigures(string runPath, int step, IEnumerable<(string Name, string PngPath)> figures)
    {
        var records = new List<byte[]> { Record(new Event { WallTime = Now, FileVersion = "brain.Event:2" }) };
        foreach (var (name, png) in figures)
        {
            var bytes = File.ReadAllBytes(png);
            // A PNG's IHDR holds its width and height, big-endian, at bytes 16 and 20.
            var image = new Summary.Types.Image
            {
                EncodedImageString = ByteString.CopyFrom(bytes), Colorspace = 4,
                Width = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16, 4)),
                Height = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20, 4)),
            };
            records.Add(Record(new Event
            {
                WallTime = Now, Step = step, Summary = new Summary { Value = { new Summary.Types.Value { Tag = $"figures/{name}", Image = image } } },
            }));
        }
        var path = System.IO.Path.Combine(runPath, FiguresPath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        RunDirectory.WriteAtomically(path, s => { foreach (var r in records) s.Write(r); });
    }

    private static double Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    /// <summary>One TFRecord: the length, its masked CRC32C, the Event, its masked CRC32C.</summary>
    private static byte[] Record(Event e)
    {
        var data = e.ToByteArray();
        var record = new byte[8 + 4 + data.Length + 4];
        BitConverter.TryWriteBytes(record.AsSpan(0, 8), (ulong)data.Length);
        BitConverter.TryWriteBytes(record.AsSpan(8, 4), MaskedCrc(record[..8]));
        data.CopyTo(record, 12);
        BitConverter.TryWriteBytes(record.AsSpan(12 + data.Length, 4), MaskedCrc(data));
        return record;
    }

    /// <summary>One whole record, flushed; a failed write cuts the file back to the last whole record and stops the run in one line.</summary>
    private void Write(Event e)
    {
        if (_failed) throw new InvalidOperationException($"{Path}: writing after a failed write.");
        var record = Record(e);
        try
        {
            _stream.Write(record);
            _stream.Flush();
            _complete = _stream.Length;
        }
        catch (IOException ex)
        {
            _failed = true;
            try { _stream.SetLength(_complete); } catch (IOException) { }
            throw new ProbesError($"cannot write {Path}: {ex.Message} (events up to the last whole one are kept).", ExitCodes.WriteFailed);
        }
    }

    /// <summary>TFRecord's masked CRC32C: rotated right by 15 bits plus a constant, so a CRC of CRCs is not itself one.</summary>
    private static uint MaskedCrc(byte[] bytes)
    {
        uint crc = TorchSharp.Utils.CRC32C.process(bytes);
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8U;
    }

    public void Dispose()
    {
        try { if (_failed) _stream.SetLength(_complete); } catch (IOException) { }
        try { _stream.Dispose(); } catch (IOException) { }
    }
}

/// <summary>An append-only file of a run whose length a checkpoint records and a resume cuts back to.</summary>
internal interface ITrace : IDisposable
{
    string Path { get; }
    long Length { get; }
}
