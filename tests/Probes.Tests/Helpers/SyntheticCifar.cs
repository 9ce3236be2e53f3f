using Training.Data;

namespace Probes.Tests;

/// <summary>A temporary CIFAR-10 binary folder with seeded random images, for tests that need files.</summary>
public sealed class SyntheticCifar : IDisposable
{
    public string Folder { get; } = Directory.CreateTempSubdirectory("probes-cifar-").FullName;

    public SyntheticCifar(int train = 64, int test = 16, int seed = 0)
    {
        var random = new Random(seed);
        Write(CifarLocator.TrainFiles[0], train, random);
        if (test > 0) Write(CifarLocator.TestFile, test, random);
    }

    public string Write(string name, int records, Random random, Func<int, byte>? label = null)
    {
        var bytes = new byte[records * CifarRecords.RecordSize];
        random.NextBytes(bytes);
        for (int i = 0; i < records; i++) bytes[i * CifarRecords.RecordSize] = label?.Invoke(i) ?? (byte)random.Next(10);
        var path = Path.Combine(Folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}

/// <summary>A fresh temporary directory, deleted afterwards.</summary>
public sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("probes-test-").FullName;
    public string Combine(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose() => Directory.Delete(Path, recursive: true);
}
