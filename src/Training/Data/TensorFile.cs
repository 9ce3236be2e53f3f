using System.Collections;
using System.Security.Cryptography;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Training.Data;

/// <summary>
/// --data FILE: a researcher's own data as tensors in a safetensors file or a torch.save file of a dict (.pt, .pth): x (n × …,
/// floating point) and either y (n × outputs, the targets) or labels (n integers 0 … C − 1, one-hot targets of width C); and,
/// optionally, x_test with y_test or labels_test. Used as given (no standardisation), each example flattened; accuracy is
/// argmax f against labels (argmax y where only y is given). The run records the file's length and SHA-256, as for CIFAR-10.
/// </summary>
internal static class TensorFile
{
    private static readonly string[] Extensions = [".safetensors", ".pt", ".pth"];

    /// <summary>Whether <paramref name="data"/> names a tensor file rather than a CIFAR-10 folder.</summary>
    public static bool Is(string? data) =>
        !string.IsNullOrEmpty(data) && Extensions.Contains(Path.GetExtension(data).ToLowerInvariant()) && !Directory.Exists(data);

    /// <summary>Values per example and outputs per example of the file's training data (read once per file version).</summary>
    public static (long Features, long Outputs) Shape(string path)
    {
        var key = (Path.GetFullPath(path), File.Exists(path) ? File.GetLastWriteTimeUtc(path) : default);
        lock (Shapes)
        {
            if (Shapes.TryGetValue(key, out var shape)) return shape;
            using var scope = NewDisposeScope();
            var (x, y, _) = Train(Read(path), path);
            return Shapes[key] = (x.numel() / x.shape[0], y.shape[1]);
        }
    }

    private static readonly Dictionary<(string, DateTime), (long, long)> Shapes = [];

    public static CifarDataset Load(string path, int n, int? testCount, ScalarType dtype, Device device)
    {
        using var scope = NewDisposeScope();
        var tensors = Read(path);
        var (x, y, labels) = Train(tensors, path);
        if (x.shape[0] < n) throw new ProbesError($"--n {n} asks for more examples than the {x.shape[0]:N0} in {path}.");
        var test = Test(tensors, path, x, y);
        long available = test?.X.shape[0] ?? 0;
        if (testCount > available)
            throw new ProbesError($"--n-test {testCount} asks for more test examples than the {available:N0} in {path} (x_test).");
        long m = Math.Min(testCount ?? available, available);
        (Tensor, Tensor, Tensor) Take(Tensor a, Tensor b, Tensor c, long count) =>
            (a[..(int)count].flatten(1).to(dtype).to(device).DetachFromDisposeScope(), b[..(int)count].to(dtype).to(device).DetachFromDisposeScope(),
                c[..(int)count].to(int64).to(device).DetachFromDisposeScope());
        var (trainX, trainY, trainL) = Take(x, y, labels, n);
        using var stream = File.OpenRead(path);
        var file = new DataFile(Path.GetFileName(path), stream.Length, (int)x.shape[0], Convert.ToHexStringLower(SHA256.HashData(stream)));
        var info = new DatasetInfo(Path.GetFullPath(path), [file], n, (int)m, 0, "none: the tensors are used as given", [], []);
        if (test is not { } t || m == 0) return new CifarDataset { TrainInputs = trainX, TrainTargets = trainY, TrainLabels = trainL, Info = info };
        var (testX, testY, testL) = Take(t.X, t.Y, t.Labels, m);
        return new CifarDataset
        {
            TrainInputs = trainX, TrainTargets = trainY, TrainLabels = trainL, TestInputs = testX, TestTargets = testY, TestLabels = testL,
            Info = info,
        };
    }

    private static Dictionary<string, Tensor> Read(string path)
    {
        if (!File.Exists(path)) throw new ProbesError($"--data {path}: no such file.");
        IDictionary loaded;
        try
        {
            loaded = Path.GetExtension(path).Equals(".safetensors", StringComparison.OrdinalIgnoreCase)
                ? Safetensors.LoadStateDict(path) : PyTorchUnpickler.UnpickleStateDict(path);
        }
        catch (Exception e)
        {
            throw new ProbesError($"--data {path} is not a readable tensor file (a safetensors file, or torch.save of a dict of tensors): "
                + e.Message.Split('\n')[0].Trim());
        }
        return loaded.Keys.Cast<object>().ToDictionary(k => k.ToString()!, k => loaded[k] as Tensor
            ?? throw new ProbesError($"--data {path}: '{k}' is not a tensor."));
    }

    private static (Tensor X, Tensor Y, Tensor Labels) Train(Dictionary<string, Tensor> t, string path) =>
        Examples(t, path, "x", "y", "labels") ?? throw new ProbesError($"--data {path} has no 'x' (keys: {string.Join(", ", t.Keys)}).");

    private static (Tensor X, Tensor Y, Tensor Labels)? Test(Dictionary<string, Tensor> t, string path, Tensor x, Tensor y)
    {
        if (Examples(t, path, "x_test", "y_test", "labels_test") is not { } test) return null;
        if (!test.X.shape.Skip(1).SequenceEqual(x.shape.Skip(1)) || test.Y.shape[1] != y.shape[1])
            throw new ProbesError($"--data {path}: x_test and its targets do not have the shapes of x and its targets.");
        return test;
    }

    /// <summary>x with its targets and labels from y, labels or both; null when x is absent. Every malformed part is one line.</summary>
    private static (Tensor X, Tensor Y, Tensor Labels)? Examples(Dictionary<string, Tensor> t, string path, string xKey, string yKey,
        string labelsKey)
    {
        if (!t.TryGetValue(xKey, out var x)) return null;
        string Where(string key) => $"--data {path}: '{key}'";
        if (!x.is_floating_point() || x.dim() < 2 || x.shape[0] == 0)
            throw new ProbesError($"{Where(xKey)} must hold floating-point examples, n × …, got {x.dtype} [{string.Join(", ", x.shape)}].");
        long n = x.shape[0];
        t.TryGetValue(yKey, out var y);
        t.TryGetValue(labelsKey, out var labels);
        if (y is null && labels is null) throw new ProbesError($"--data {path} has '{xKey}' but neither '{yKey}' (targets) nor '{labelsKey}'.");
        if (y is not null && (!y.is_floating_point() || y.dim() != 2 || y.shape[0] != n))
            throw new ProbesError($"{Where(yKey)} must be floating-point targets of shape [{n}, outputs], got {y.dtype} "
                + $"[{string.Join(", ", y.shape)}].");
        if (labels is not null && (labels.is_floating_point() || labels.dim() != 1 || labels.shape[0] != n || labels.min().item<long>() < 0))
            throw new ProbesError($"{Where(labelsKey)} must be {n} integer class indices ≥ 0, got {labels.dtype} "
                + $"[{string.Join(", ", labels.shape)}].");
        if (y is null)
        {
            long classes = labels!.max().item<long>() + 1;
            y = nn.functional.one_hot(labels.to(int64), classes).to(float64);
        }
        if (labels is not null && labels.max().item<long>() >= y.shape[1])
            throw new ProbesError($"{Where(labelsKey)} has a class index ≥ {y.shape[1]}, the width of '{yKey}'.");
        return (x, y, labels ?? y.argmax(1));
    }
}
