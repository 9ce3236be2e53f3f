using Training.Runs;

namespace Training.Reports;

/// <summary>How compared runs are told apart, and where a comparison goes without overwriting an earlier one.</summary>
internal static class CompareLabels
{
    /// <summary>Each run by the settings that differ between the runs ("lr 0.01, seed 1"); its directory name if none do.</summary>
    public static List<string> Of(IReadOnlyList<RunTraces> runs)
    {
        var ignored = new HashSet<string> { "out", "name", "threads", "data" };
        var keys = runs.SelectMany(r => r.Settings.Select(kv => kv.Key)).Distinct()
            .Where(k => !ignored.Contains(k) && runs.Select(r => r.Settings[k]?.ToJsonString() ?? "null").Distinct().Count() > 1).Order().ToList();
        var labels = runs.Select(r => keys.Count == 0 ? System.IO.Path.GetFileName(System.IO.Path.GetFullPath(r.Path))
            : string.Join(", ", keys.Select(k => $"{k} {r.Settings[k]?.ToJsonString().Trim('"') ?? "—"}"))).ToList();
        // Still equal (same settings in different directories): add the directory.
        return [.. labels.Select((l, i) => labels.Count(x => x == l) > 1 ?
            $"{l} ({System.IO.Path.GetFileName(System.IO.Path.GetFullPath(runs[i].Path))})" : l)];
    }

    /// <summary><paramref name="folder"/> if it is new or empty, else the first free "folder-2", "folder-3", ….</summary>
    public static string FreshFolder(string folder)
    {
        static bool Free(string f) => !Directory.Exists(f) || !Directory.EnumerateFileSystemEntries(f).Any();
        if (Free(folder)) return folder;
        for (int i = 2; ; i++)
            if (Free($"{folder}-{i}")) return $"{folder}-{i}";
    }
}
