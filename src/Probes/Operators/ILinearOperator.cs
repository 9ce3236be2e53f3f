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

