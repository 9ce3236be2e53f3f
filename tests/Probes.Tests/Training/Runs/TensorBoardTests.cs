using System.Globalization;
using Google.Protobuf;
using Tensorboard;
using Training.Runs;
using Xunit;

namespace Probes.Tests;

/// <summary>
/// RUN_DIR/tensorboard: every record framed and checksummed as TensorBoard reads it, every train.csv and probes.csv value a
/// scalar at its step, the settings as text; a run killed and resumed writes the same events as one straight through (wall
/// times aside); and Python, with TensorBoard's own schema (the descriptors TorchSharp's classes carry) and python3-crc32c,
/// decodes every record and finds the CSV's values.
/// </summary>
public class TensorBoardTests
{
    private static string[] Args(string data, string run) =>
    [
        "train", "--data", data, "--out", run, "--n", "24", "--width", "16", "--n-test", "8", "--steps", "8", "--lr", "0.05",
        "--probe-every", "2", "--probe-above", "100", "--spectra-at", "", "--threads", "1", "--checkpoint-every", "3",
    ];

    /// <summary>The file's records, each checked: length and data CRCs masked as TFRecord's.</summary>
    internal static List<Event> Read(string run, string file = TensorBoardTrace.RelativePath)
    {
        var bytes = File.ReadAllBytes(Path.Combine(run, file));
        var events = new List<Event>();
        for (int at = 0; at < bytes.Length;)
        {
            ulong length = BitConverter.ToUInt64(bytes, at);
            Assert.Equal(Masked(bytes[at..(at + 8)]), BitConverter.ToUInt32(bytes, at + 8));
            var data = bytes[(at + 12)..(at + 12 + (int)length)];
            Assert.Equal(Masked(data), BitConverter.ToUInt32(bytes, at + 12 + (int)length));
            events.Add(Event.Parser.ParseFrom(data));
            at += 12 + (int)length + 4;
        }
        return events;
    }

    private static uint Masked(byte[] data)
    {
        uint crc = TorchSharp.Utils.CRC32C.process(data);
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8U;
    }

    /// <summary>
    /// The events without their wall times and the wall-time scalars, the run's own directory named RUN in the settings: what a
    /// resume must reproduce exactly.
    /// </summary>
    private static List<string> Comparable(List<Event> events, string run) =>
    [
        .. events.Select(e =>
        {
            var copy = e.Clone();
            copy.WallTime = 0;
            foreach (var text in copy.Summary?.Value.Where(v => v.Tag == "settings") ?? [])
                text.Tensor.StringVal[0] = ByteString.CopyFromUtf8(text.Tensor.StringVal[0].ToStringUtf8().Replace(run, "RUN"));
            if (copy.Summary is { } summary)
                foreach (var v in summary.Value.Where(v => v.Tag.EndsWith("seconds", StringComparison.Ordinal)).ToList()) summary.Value.Remove(v);
            return copy.ToString();
        }),
    ];

    [Fact]
    public void EveryTraceValueIsAScalarAndAResumedRunWritesTheSameEvents()
    {
        using var cifar = new SyntheticCifar(train: 32, test: 8);
        using var dir = new TempDirectory();
        Assert.Equal(0, ResumeTests.RunToEnd(Args(cifar.Folder, dir.Combine("straight"))));
        Assert.NotEqual(0, ResumeTests.RunToEnd(Args(cifar.Folder, dir.Combine("resumed")), crashAt: "step:7"));
        Assert.Equal(0, ResumeTests.RunToEnd(["train", "--resume", dir.Combine("resumed")]));
        var events = Read(dir.Combine("straight"));
        Assert.Equal("brain.Event:2", events[0].FileVersion);
        Assert.True(events[0].WallTime > 1.7e9 && events[0].WallTime < 4e9, "wall time in seconds since 1970");
        var settings = events[1].Summary.Value.Single();
        Assert.Equal(("settings", "text"), (settings.Tag, settings.Metadata.PluginData.PluginName));
        Assert.Contains("\"lr\": 0.05", settings.Tensor.StringVal[0].ToStringUtf8());
        foreach (var (file, group) in new[] { ("train.csv", "train"), ("probes.csv", "probes") })
        {
            var lines = File.ReadAllLines(Path.Combine(dir.Combine("straight"), file));
            var header = lines[0].Split(',');
            var scalars = events.Where(e => e.Summary?.Value.Any(v => v.Tag.StartsWith(group + "/", StringComparison.Ordinal)) == true).ToList();
            Assert.Equal(lines.Length - 1, scalars.Count);
            foreach (var (line, e) in lines.Skip(1).Zip(scalars))
            {
                var cells = line.Split(',');
                Assert.Equal(long.Parse(cells[0], CultureInfo.InvariantCulture), e.Step);
                var values = e.Summary.Value.ToDictionary(v => v.Tag, v => v.SimpleValue);
                for (int c = 0; c < header.Length; c++)
                {
                    if (cells[c].Length == 0) { Assert.False(values.ContainsKey($"{group}/{header[c]}")); continue; }
                    Assert.Equal((float)double.Parse(cells[c], CultureInfo.InvariantCulture), values[$"{group}/{header[c]}"]);
                }
            }
        }
        Assert.Equal(Comparable(events, dir.Combine("straight")), Comparable(Read(dir.Combine("resumed")), dir.Combine("resumed")));

        // `plot` adds the figures as images at the last step, in a file of their own.
        var (exit, _, err) = CommandLineTests.Probes("plot", dir.Combine("straight"));
        Assert.True(exit == 0, err);
        var images = Read(dir.Combine("straight"), TensorBoardTrace.FiguresPath).Skip(1).ToList();
        Assert.NotEmpty(images);
        foreach (var e in images)
        {
            var value = e.Summary.Value.Single();
            Assert.Equal(8, e.Step);
            var png = Path.Combine(dir.Combine("straight"), "figures", value.Tag["figures/".Length..] + ".png");
            Assert.Equal(File.ReadAllBytes(png), value.Image.EncodedImageString.ToByteArray());
            Assert.True(value.Image.Width > 100 && value.Image.Height > 100, value.Tag);
        }
    }

    [Fact]
    public void PythonDecodesEveryRecordWithTensorBoardsSchemaAndFindsTheCsvValues()
    {
        using var cifar = new SyntheticCifar(train: 32, test: 8);
        using var dir = new TempDirectory();
        var run = dir.Combine("run");
        Assert.Equal(0, ResumeTests.RunToEnd(Args(cifar.Folder, run)));
        // TensorBoard's .proto files as TorchSharp's generated classes carry them, dependencies first: Python builds its message
        // classes from these, so nothing on the reading side is a hand-written decoder.
        var files = new List<Google.Protobuf.Reflection.FileDescriptor>();
        void Add(Google.Protobuf.Reflection.FileDescriptor f)
        {
            if (files.Contains(f)) return;
            foreach (var d in f.Dependencies) Add(d);
            files.Add(f);
        }
        Add(EventReflection.Descriptor);
        var schema = dir.Combine("schema.bin");
        using (var stream = File.Create(schema))
        using (var output = new CodedOutputStream(stream))
            foreach (var f in files) output.WriteBytes(f.SerializedData);
        var (code, output2, error) = PythonReaderTests.Python("""
            import csv, struct, sys, crc32c
            from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
            from google.protobuf.internal.decoder import _DecodeVarint
            blob = open(sys.argv[1], "rb").read()
            pool, at = descriptor_pool.DescriptorPool(), 0
            while at < len(blob):
                size, at = _DecodeVarint(blob, at)
                pool.Add(descriptor_pb2.FileDescriptorProto.FromString(blob[at:at + size]))
                at += size
            Event = message_factory.MessageFactory(pool).GetPrototype(pool.FindMessageTypeByName("tensorboard.Event"))
            def masked(data):
                c = crc32c.crc32c(data)
                return (((c >> 15) | (c << 17)) + 0xa282ead8) & 0xffffffff
            data, at, events = open(sys.argv[2], "rb").read(), 0, []
            while at < len(data):
                header = data[at:at + 8]
                (length,), (header_crc,) = struct.unpack("<Q", header), struct.unpack("<I", data[at + 8:at + 12])
                body = data[at + 12:at + 12 + length]
                (body_crc,) = struct.unpack("<I", data[at + 12 + length:at + 16 + length])
                assert header_crc == masked(header) and body_crc == masked(body), f"bad CRC at byte {at}"
                events.append(Event.FromString(body))
                at += 16 + length
            scalars = {(e.step, v.tag): v.simple_value for e in events for v in e.summary.value if v.HasField("simple_value")}
            checked = 0
            for name, group in (("train.csv", "train"), ("probes.csv", "probes")):
                for row in csv.DictReader(open(f"{sys.argv[3]}/{name}")):
                    for column, cell in row.items():
                        if cell == "":
                            continue
                        expected = struct.unpack("<f", struct.pack("<f", float(cell)))[0]
                        assert scalars[(int(row["step"]), f"{group}/{column}")] == expected, (name, row["step"], column)
                        checked += 1
            print(len(events), checked)
            """, schema, Path.Combine(run, TensorBoardTrace.RelativePath), run);
        Assert.True(code == 0, error);
        var counts = output2.Trim().Split(' ').Select(int.Parse).ToArray();
        Assert.True(counts[0] > 10 && counts[1] > 100, output2);
    }
}
