using static TorchSharp.torch;

namespace Probes.Eigensolvers;

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

    /// <summary>
    /// Orthonormalises each row against the basis and the rows before it. Rows already orthogonal to the
    /// basis (a Lanczos residual block after <see cref="Orthogonalise"/>, or a Davidson block after it) are
    /// projected against the basis again only when the block's own Gram–Schmidt cancels most of a row (the
    /// DGKS test: its norm falls below half), where rounding could bring basis directions back. A row that
    /// vanishes (below 1e-10 of <paramref name="reference"/>, its norm before any projection, or of its
    /// own norm) is the sign of an invariant subspace: it is replaced by a random vector orthogonal to
    /// everything so far, or dropped without a generator.
    /// </summary>
    public List<Tensor> Orthonormalised(List<Tensor> rows, bool orthogonalToBasis, double scale, Generator? random, double[]? reference = null)
    {
        var result = new List<Tensor>();
        void AgainstBlock(Tensor v)
        {
            for (int pass = 0; pass < 2; pass++)
                foreach (var r in result) v.add_(r, alpha: -r.dot(v).item<double>());     // in place: no temporaries
        }
        for (int k = 0; k < rows.Count; k++)
        {
            var row = rows[k];
            var v = row.clone();
            bool fromBasis = orthogonalToBasis;
            for (int attempt = 0; ; attempt++)
            {
                using var scope = NewDisposeScope();
                double before = attempt == 0 && reference is not null ? reference[k] : v.norm().item<double>();
                double start = v.norm().item<double>();
                AgainstBlock(v);
                double norm = v.norm().item<double>();
                if (!fromBasis || norm < 0.5 * start)
                {
                    Orthogonalise(v.unsqueeze(0));
                    AgainstBlock(v);
                    norm = v.norm().item<double>();
                }
                if (norm > 1e-10 * Math.Max(before, double.Epsilon) && norm > 1e-13 * scale) { result.Add(v.div_(norm)); break; }
                if (attempt > 3 || random is null) break;   // the whole space is spanned, or nothing to replace it with
                v = randn([row.numel()], float64, generator: random).to(row.device).MoveToOuterDisposeScope();
                scale = 0;
                fromBasis = false;
            }
        }
        return result;
    }

    public void Dispose() => _buffer.Dispose();
}
