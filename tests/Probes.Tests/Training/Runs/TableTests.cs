using System.Globalization;
using Training.Runs;
using Xunit;

namespace Probes.Tests;

public class TableTests
{
    private sealed record Point(int Step, double Value);

    [Fact]
    public void WritesTheDeclaredColumnsInOrderWithEachRecordsValuesRoundTrip()
    {
        var table = new Table<Point>("points.csv",
        [
            new("step", "the step", p => p.Step),
            new("value", "a value", p => p.Value, "s"),
            new("twice", "two values", p => 2 * p.Value),
        ]);
        Assert.Equal(["step", "value", "twice"], table.Schema.Select(c => c.Name));
        Assert.Equal("s", table.Schema[1].Unit);
        using var dir = new TempDirectory();
        using var run = RunDirectory.Create(dir.Combine("run"));
        var path = table.Write(run, [new Point(0, 0.1), new Point(1, double.PositiveInfinity)]);
        var lines = File.ReadAllLines(path);
        Assert.Equal("step,value,twice", lines[0]);
        var first = lines[1].Split(',').Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal([0, 0.1, 0.2], first);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("1,", lines[2], StringComparison.Ordinal);
    }
}
