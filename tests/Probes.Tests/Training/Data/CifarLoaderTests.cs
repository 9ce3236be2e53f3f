using System.Globalization;
using Training;
using Training.Data;
using Xunit;
using static TorchSharp.torch;

namespace Probes.Tests;

public class CifarLoaderTests
{
    [Fact]
    public void ReadsRecordsInChwOrderWithTheirLabels()
    {
        using var cifar = new SyntheticCifar(train: 0, test: 0);
        var bytes = new byte[2 * CifarRecords.RecordSize];
        bytes[0] = 7;
        bytes[1] = 11;                                  // first red pixel of record 0
        bytes[1 + 1024] = 22;                           // first green pixel
        bytes[CifarRecords.RecordSize] = 3;
        bytes[CifarRecords.RecordSize + 3072] = 33;     // last blue pixel of record 1
        var path = Path.Combine(cifar.Folder, "data_batch_1.bin");
        File.WriteAllBytes(path, bytes);
        var records = CifarRecords.Read(path);
        Assert.Equal([7, 3], records.Labels);
        Assert.Equal(11, records.Pixels[0]);
        Assert.Equal(22, records.Pixels[1024]);
        Assert.Equal(33, records.Pixels[2 * 3072 - 1]);
    }

    [Fact]
    public void RejectsATruncatedFileNamingItAndItsSize()
    {
        using var cifar = new SyntheticCifar(train: 3, test: 0);
        var path = Path.Combine(cifar.Folder, "data_batch_1.bin");
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..^5]);
        var e = Assert.Throws<ProbesError>(() => CifarRecords.Read(path));
        Assert.Contains("data_batch_1.bin", e.Message);
        Assert.Contains((3 * 3073 - 5).ToString("N0", CultureInfo.InvariantCulture), e.Message);
    }

    [Fact]
    public void RejectsALabelByteAboveNine()
    {
        using var cifar = new SyntheticCifar(train: 0, test: 0);
        var path = cifar.Write("data_batch_1.bin", 5, new Random(1), i => i == 3 ? (byte)10 : (byte)1);
        var e = Assert.Throws<ProbesError>(() => CifarRecords.Read(path));
        Assert.Contains("record 3", e.Message);
        Assert.Contains("label byte 10", e.Message);
    }

    [Fact]
    public void StandardisesWithTheStatisticsOfAllTrainingImagesAndOneHotTargets()
    {
        using var cifar = new SyntheticCifar(train: 40, test: 8);
        using var all = CifarDataset.Load(cifar.Folder, 40, null, float64, CPU);
        // Over the images the statistics came from, every feature has mean 0 and population std 1.
        Assert.True(all.TrainInputs.mean([0]).abs().max().item<double>() < 1e-12);
        Assert.True((all.TrainInputs.std([0], unbiased: false) - 1).abs().max().item<double>() < 1e-12);
        Assert.Equal(8, all.Info.TestCount);
        Assert.Equal(all.TrainLabels, all.TrainTargets.argmax(1));
        Assert.Equal(40.0, all.TrainTargets.sum().item<double>());

        // The first n use the same statistics, not their own.
        using var first = CifarDataset.Load(cifar.Folder, 10, 0, float64, CPU);
        Assert.True((first.TrainInputs - all.TrainInputs[..10]).abs().max().item<double>() == 0);
        Assert.Null(first.TestInputs);
    }

    [Fact]
    public void RefusesMoreExamplesThanTheFilesHold()
    {
        using var cifar = new SyntheticCifar(train: 10, test: 0);
        var e = Assert.Throws<ProbesError>(() => CifarDataset.Load(cifar.Folder, 11, null, float32, CPU));
        Assert.Contains("--n 11", e.Message);
    }

    [Fact]
    public void LocatorPrefersTheFlagAndRefusesAWrongOne()
    {
        using var cifar = new SyntheticCifar(train: 2, test: 0);
        Assert.Equal(Path.GetFullPath(cifar.Folder), CifarLocator.Resolve(cifar.Folder));
        var e = Assert.Throws<ProbesError>(() => CifarLocator.Resolve(Path.Combine(cifar.Folder, "missing")));
        Assert.Contains("--data", e.Message);
    }

    [Fact]
    public void RealCifarMatchesThePublishedChecks()
    {
        string folder;
        try { folder = CifarLocator.Resolve(null); }
        catch (ProbesError) { return; }   // no real data on this machine: the synthetic tests above still run
        using var data = CifarDataset.Load(folder, 5, 0, float32, CPU);
        Assert.Equal([6L, 9, 9, 4, 1], data.TrainLabels.data<long>().ToArray());
        Assert.Equal(50_000, data.Info.StatisticsImageCount);
        double[] means = [125.30691805, 122.95039414, 113.86538318];
        double[] stds = [62.99321928, 62.08870764, 66.70489964];
        for (int c = 0; c < 3; c++)
        {
            Assert.Equal(means[c], data.Info.ChannelMeans255[c], 6);
            Assert.Equal(stds[c], data.Info.ChannelStds255[c], 5);
        }
    }
}
