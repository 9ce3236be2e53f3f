using static TorchSharp.torch;

namespace Probes.Operators;

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
