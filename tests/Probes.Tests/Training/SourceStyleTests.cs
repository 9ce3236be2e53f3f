using System.Globalization;
using Xunit;

namespace Probes.Tests;

/// <summary>
/// The part of the house style that no formatter keeps: the .editorconfig's max_line_length, for every C#
/// file in the repository (`dotnet format whitespace --verify-no-changes` in .ci/run keeps the rest).
/// </summary>
public class SourceStyleTests
{
    [Fact]
    public void EverySourceLineFitsTheEditorconfigLimit()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Probes.sln"))) root = root.Parent;
        Assert.NotNull(root);
        var limit = int.Parse(File.ReadLines(Path.Combine(root!.FullName, ".editorconfig"))
            .Single(l => l.StartsWith("max_line_length", StringComparison.Ordinal)).Split('=')[1], CultureInfo.InvariantCulture);
        var sources = new[] { "src", "tests" }
            .SelectMany(d => Directory.EnumerateFiles(Path.Combine(root.FullName, d), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"));
        var over = sources.SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i + 1, line.Length)))
            .Where(x => x.Length > limit).Select(x => $"{Path.GetRelativePath(root.FullName, x.f)}:{x.Item2} ({x.Length})").ToList();
        Assert.True(over.Count == 0, $"{over.Count} lines over {limit} characters:\n{string.Join("\n", over)}");
    }
}
