using System.Security.Cryptography;
using static TorchSharp.torch;

namespace Training.Data;

/// <summary>A data file used by a run, with its checksum for the run's config.</summary>
internal sealed record DataFile(string Name, long Bytes, int Records, string Sha256);

/// <summary>What a run records about its data: where, which files, which statistics.</summary>
internal sealed record DatasetInfo(
    string Folder, IReadOnlyList<DataFile> Files, int TrainCount, int TestCount,
    int StatisticsImageCount, string StatisticsSource, double[] ChannelMeans255, double[] ChannelStds255);

/// <summary>
/// The paper's data: the first n CIFAR-10 training images, pixels/255 standardised per feature with the mean
/// and population std over every training image present (all 50,000 with the full set), flattened CHW, with
/// one-hot {0,1} targets; and the test records the same way.
/// </summary>
internal sealed class CifarDataset : IDisposable
{
    public required Tensor TrainInputs { get; init; }    // [n, 3072]
    public required Tensor TrainTargets { get; init; }   // [n, 10] one-hot
    public required Tensor TrainLabels { get; init; }    // [n] int64
    public Tensor? TestInputs { get; init; }
    public Tensor? TestTargets { get; init; }
    public Tensor? TestLabels { get; init; }
    public required DatasetInfo Info { get; init; }

    /// <summary>
    /// The span of the training inputs when n &lt; 3072 (null otherwise), computed on first use: the probes
    /// take the first layer's directions in it (<see cref="Model.InputSpan"/>).
    /// </summary>
    public Model.InputSpan? TrainSpan => (_span ??= new(() => Model.InputSpan.Of(TrainInputs))).Value;
    private Lazy<Model.InputSpan?>? _span;

    /// <param name="testCount">How many test records to use; null for all present, 0 for none.</param>
    public static CifarDataset Load(string folder, int n, int? testCount, ScalarType dtype, Device device)
    {
        if (n <= 0) throw new ProbesError($"--n must be positive, got {n}.");
        if (TensorFile.Is(folder)) return TensorFile.Load(folder, n, testCount, dtype, device);
        var files = new List<DataFile>();
        var trainParts = new List<CifarRecords>();
        foreach (var name in CifarLocator.TrainFiles)
        {
            var path = Path.Combine(folder, name);
            if (!File.Exists(path)) continue;
            var records = CifarRecords.Read(path);
            trainParts.Add(records);
            files.Add(Describe(path, records.Count));
        }
        int available = trainParts.Sum(p => p.Count);
        if (available < n)
            throw new ProbesError($"--n {n} asks for more training images than the {available:N0} in {folder}.");
        var statistics = Standardisation.Of(trainParts);
        var train = CifarRecords.First(trainParts, n);
        int batchFiles = trainParts.Count;
        trainParts.Clear();                    // the other 45,000+ images are needed for the statistics only

        CifarRecords? test = null;
        var testPath = Path.Combine(folder, CifarLocator.TestFile);
        if (testCount != 0 && File.Exists(testPath))
        {
            test = CifarRecords.Read(testPath);
            files.Add(Describe(testPath, test.Count));
        }
        else if (testCount > 0)
            throw new ProbesError($"--n-test {testCount} but {testPath} does not exist.");
        int m = test is null ? 0 : Math.Min(testCount ?? test.Count, test.Count);
        if (testCount > m) throw new ProbesError($"--n-test {testCount} asks for more test images than the {m:N0} in {testPath}.");

        var info = new DatasetInfo(folder, files, n, m, statistics.ImageCount,
            $"per-feature mean and population std of pixels/255 over the {statistics.ImageCount:N0} training images "
                + $"of {batchFiles} batch file{(batchFiles == 1 ? "" : "s")}",
            statistics.ChannelMeans255, statistics.ChannelStds255);
        var (trainX, trainY, trainL) = Tensors(statistics, train, n, dtype, device);
        if (test is null || m == 0)
            return new CifarDataset { TrainInputs = trainX, TrainTargets = trainY, TrainLabels = trainL, Info = info };
        var (testX, testY, testL) = Tensors(statistics, test, m, dtype, device);
        return new CifarDataset
        {
            TrainInputs = trainX, TrainTargets = trainY, TrainLabels = trainL,
            TestInputs = testX, TestTargets = testY, TestLabels = testL, Info = info,
        };
    }

    private static (Tensor X, Tensor Y, Tensor Labels) Tensors(Standardisation s, CifarRecords records, int count, ScalarType dtype, Device device)
    {
        long[] shape = [count, CifarRecords.PixelsPerImage];
        var x = dtype == ScalarType.Float64 ? tensor(s.ApplyDouble(records, count), shape) : tensor(s.Apply(records, count), shape).to(dtype);
        var labels = tensor(records.Labels.Take(count).Select(b => (long)b).ToArray());
        var y = nn.functional.one_hot(labels, CifarRecords.Classes).to(dtype);
        return (x.to(device), y.to(device), labels.to(device));
    }

    private static DataFile Describe(string path, int records)
    {
        using var stream = File.OpenRead(path);
        var hash = Convert.ToHexStringLower(SHA256.HashData(stream));
        return new DataFile(Path.GetFileName(path), new FileInfo(path).Length, records, hash);
    }

    public void Dispose()
    {
        foreach (var t in new[] { TrainInputs, TrainTargets, TrainLabels, TestInputs, TestTargets, TestLabels })
            t?.Dispose();
        if (_span is { IsValueCreated: true, Value: { } span }) span.Dispose();
    }
}
