using static TorchSharp.torch;

namespace Probes.Lanczos;

/// <summary>
/// The rows of an eigensolver's basis (or their images) in one buffer reserved for the solver's iteration
/// cap and never copied: rows are written in place as the basis grows.
/// </summary>
/// <remarks>
/// The buffer is made by <c>empty</c>, so the operating system commits only the pages of rows actually
/// written: reserving 300 rows of the paper's P = 656,810 costs 1.6 GB of address space but only the
/// resident memory of the rows in use, and no growth-by-copy (a doubling buffer holds the old and the new
/// copy at once). The buffer lives outside every dispose scope and is freed by <see cref="Dispose"/>.
/// </remarks>
internal sealed class BasisRows : IDisposable
{
    private readonly Tensor _buffer;

    public BasisRows(long length, int capacity, Device device)
    {
        Capacity = capacity;
        _buffer = empty(capacity, length, float64, device).DetachFromDisposeScope();
    }

    public int Capacity { get; }
    public int Count { get; private set; }

    /// <summary>The rows written so far, as a view [Count, N].</summary>
    public Tensor Active => _buffer.narrow(0, 0, Count);

    /// <summary>Rows [from, Count) as a view.</summary>
    public Tensor From(int from) => _buffer.narrow(0, from, Count - from);

    public Tensor Row(int i) => _buffer[i];

    /// <summary>Forgets every row (the buffer stays reserved).</summary>
    public void Clear() => Count = 0;

    /// <summary>Copies <paramref name="v"/> into the next row.</summary>
    public void Add(Tensor v)
    {
        if (Count == Capacity) throw new InvalidOperationException($"basis full at {Capacity} rows.");
        _buffer[Count++].copy_(v);
    }

    /// <summary>
    /// Removes from the rows of <paramref name="block"/> (in place) their components along the basis, by
    /// classical Gram–Schmidt run twice ("twice is enough"): four reads of the basis, each a BLAS-3 product
    /// for a block, which at these sizes is what a pass costs (memory bandwidth, not arithmetic).
    /// Returns the coefficients of the first pass, [Count, rows].
    /// </summary>
    public Tensor Orthogonalise(Tensor block)
    {
        if (Count == 0) return zeros(0, block.shape[0], float64, block.device);
        var active = Active;
        var first = active.matmul(block.t());
        block.addmm_(first.t(), active, beta: 1, alpha: -1);                  // in place: no block-sized temporary
        using (var second = active.matmul(block.t())) block.addmm_(second.t(), active, beta: 1, alpha: -1);
        return first;
    }

    public void Dispose() => _buffer.Dispose();
}
