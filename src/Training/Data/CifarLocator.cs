namespace Training.Data;

/// <summary>
/// Finds the CIFAR-10 binary folder, in order: the --data flag, $CIFAR10_DIR, data/cifar-10-batches-bin and
/// ../shared/cifar-10-batches-bin (each relative to the working directory, then to the repository root).
/// A folder counts when it holds data_batch_1.bin. An explicit choice that is wrong is an error, never a
/// silent fall-back.
/// </summary>
internal static class CifarLocator
{
    public const string EnvironmentVariable = "CIFAR10_DIR";
    public const string FolderName = "cifar-10-batches-bin";
    public static readonly string[] TrainFiles = Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.bin").ToArray();
    public const string TestFile = "test_batch.bin";

    /// <summary>The data's location: a tensor file (--data FILE.safetensors or .pt, <see cref="TensorFile"/>) as given, else the folder.</summary>
    public static string Resolve(string? explicitFolder)
    {
        if (TensorFile.Is(explicitFolder))
            return File.Exists(explicitFolder) ? Path.GetFullPath(explicitFolder!) : throw new ProbesError($"--data {explicitFolder}: no such file.");
        if (!string.IsNullOrEmpty(explicitFolder))
            return Holds(explicitFolder) ? Path.GetFullPath(explicitFolder)
                : throw new ProbesError($"--data {explicitFolder}: no {TrainFiles[0]} there; point it at a CIFAR-10 binary folder.");
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
            return Holds(fromEnvironment) ? Path.GetFullPath(fromEnvironment)
                : throw new ProbesError($"${EnvironmentVariable}={fromEnvironment}: no {TrainFiles[0]} there.");
        foreach (var candidate in Candidates())
            if (Holds(candidate)) return Path.GetFullPath(candidate);
        throw new
            ProbesError($"CIFAR-10 not found: put the binary files (data_batch_1.bin … test_batch.bin) in data/{FolderName}, set "
                + $"${EnvironmentVariable}, or pass --data DIR.");
    }

    private static IEnumerable<string> Candidates()
    {
        var bases = new List<string> { Directory.GetCurrentDirectory() };
        if (RepositoryRoot() is { } root) bases.Add(root);
        foreach (var b in bases)
        {
            yield return Path.Combine(b, "data", FolderName);
            yield return Path.Combine(b, "..", "shared", FolderName);
        }
    }

    /// <summary>The nearest folder above the program that holds Probes.sln, if any.</summary>
    public static string? RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Probes.sln"))) return dir.FullName;
        return null;
    }

    private static bool Holds(string folder) => File.Exists(Path.Combine(folder, TrainFiles[0]));
}
