using static TorchSharp.torch;

namespace Probes.Operators;

/// <summary>A symmetric linear map on float64 vectors, applied matrix-free.</summary>
public interface ILinearOperator
{
    /// <summary>The dimension N of the space it acts on.</summary>
    long Size { get; }

    /// <summary>Device of the vectors.</summary>
    Device Device { get; }

    /// <summary>A v for a float64 vector v of length N.</summary>
    Tensor Apply(Tensor v);
}

/// <summary>An operator from a function, with a count of its applications (matvecs) for cost reports.</summary>
public sealed class FunctionOperator(long size, Device device, Func<Tensor, Tensor> apply) : ILinearOperator
{
    public long Size => size;
    public Device Device => device;

    /// <summary>How many times <see cref="Apply"/> ran.</summary>
    public int Applications { get; private set; }

    public Tensor Apply(Tensor v)
    {
        Applications++;
        return apply(v);
    }
}
