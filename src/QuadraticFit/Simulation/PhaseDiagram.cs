using static TorchSharp.torch;

namespace QuadraticFit.Simulation;

/// <summary>
/// One grid point of the phase diagram: the median final η·λ_max over seeds (+∞ when more than half diverged),
/// the fraction diverged, the median initial η·λ_max, the median number of steps the seeds ran, and the
/// fraction still moving when the step cap stopped them.
/// </summary>
public sealed record PhaseCell(double SigmaZTilde, double SigmaJTilde, double MedianSharpness, double DivergedFraction,
    double MedianInitialSharpness, double MedianSteps = double.NaN, double UnsettledFraction = 0)
{
    /// <summary>Most seeds diverged: the cell has no final value to draw.</summary>
    public bool Diverged => double.IsPositiveInfinity(MedianSharpness);
}

/// <summary>
/// When a phase-diagram run stops: a seed's cell is settled once its η·λ_max moved less than
/// <see cref="Tolerance"/> (absolute) over the last <see cref="CheckEvery"/> steps, or it diverged; a batch
/// stops when every cell is settled, or at <see cref="MaxSteps"/>, where the unsettled cells are counted.
/// </summary>
public sealed record PhaseStopping(int MaxSteps, double Tolerance = 1e-4, int CheckEvery = 100)
{
    /// <summary>Exactly <paramref name="steps"/> steps, as the figure of a fixed horizon (only converged and diverged cells stop early).</summary>
    public static PhaseStopping Fixed(int steps) => new(steps, Tolerance: -1);

    /// <summary>
    /// A cell whose loss ½‖z‖² fell below this has converged: its J moves by O(η‖z‖) a step, far below float
    /// precision, so it leaves the batch in any mode (before its z decays into slow denormal floats).
    /// </summary>
    public const double ConvergedLoss = 1e-20;
}

/// <summary>
/// The Figure 4 analogue: the median over seeds of the final η·λ_max of random quadratic models on a
/// σ̃_z × σ̃_J grid, by function-space GD. For speed every grid point of one seed shares that seed's Q and
/// unit draws ξ, Γ (z₀ = σ_z ξ, J₀ = σ_J Γ; common random numbers, so the map is smooth across the grid), and
/// all grid points run as one batch: the dominant product Q(Jᵀz, ·) is a single [D·P, P] × [P, cells] matrix
/// product per step. Diverged runs (loss above 1e12 or not finite) count as +∞ in the median. GD runs until
/// the cells settle (<see cref="PhaseStopping"/>): at the edge of stability a fixed 200 steps is not the final
/// value (one model at D = 60, P = 120, σ̃_z = 0.5, σ̃_J = 0.05 is at 3.00 at step 200, 2.28 at 1,000).
/// </summary>
public static class PhaseDiagram
{
    public static List<PhaseCell> Run(int d, int p, double[] sigmaZTilde, double[] sigmaJTilde, int seeds, int steps,
        double eta, ScalarType dtype, Action<int>? seedDone = null) =>
        Run(d, p, sigmaZTilde, sigmaJTilde, seeds, PhaseStopping.Fixed(steps), eta, dtype, seedDone);

    public static List<PhaseCell> Run(int d, int p, double[] sigmaZTilde, double[] sigmaJTilde, int seeds, PhaseStopping stopping,
        double eta, ScalarType dtype, Action<int>? seedDone = null, Models.QConvention convention = Models.QConvention.Goe)
    {
        int cells = sigmaZTilde.Length * sigmaJTilde.Length;
        var finals = new double[cells, seeds];
        var initials = new double[cells, seeds];
        var stepsRun = new double[cells, seeds];
        var unsettled = new bool[cells, seeds];
        var scaleZ = new double[cells];
        var scaleJ = new double[cells];
        for (int a = 0; a < sigmaZTilde.Length; a++)
            for (int b = 0; b < sigmaJTilde.Length; b++)
            {
                (scaleZ[a * sigmaJTilde.Length + b], scaleJ[a * sigmaJTilde.Length + b]) =
                    Models.QuadraticModel.Rescaled(sigmaZTilde[a], sigmaJTilde[b], d, p);
            }
        for (int s = 0; s < seeds; s++)
        {
            using var scope = NewDisposeScope();
            var (xi64, gamma64, q64) = Models.QuadraticModel.UnitDraws(d, p, s, convention);
            var (xi, gamma, q) = (xi64.to(dtype), gamma64.to(dtype), q64.to(dtype).reshape(d * p, p));
            var z = tensor(scaleZ).to(dtype).view(cells, 1) * xi;                 // [cells, D]
            var j = tensor(scaleJ).to(dtype).view(cells, 1, 1) * gamma;           // [cells, D, P]
            var initial = Sharpness(j, eta);
            var final = new double[cells];
            var loss = new double[cells];
            var settledAt = new int[cells];                   // 0: still moving
            var active = Enumerable.Range(0, cells).ToArray(); // the cells still in the batch, by row of z and j
            var last = initial;
            int t = 0;
            for (; t < stopping.MaxSteps; t++)
            {
                if (t > 0 && t % stopping.CheckEvery == 0)
                {
                    var now = Sharpness(j, eta);
                    var lossNow = Loss(z);
                    var keep = new List<long>();
                    for (int k = 0; k < active.Length; k++)
                    {
                        int c = active[k];
                        bool converged = lossNow[k] < PhaseStopping.ConvergedLoss, diverged = lossNow[k] > 1e12 || !double.IsFinite(now[k]);
                        if (Math.Abs(now[k] - last[k]) < stopping.Tolerance || converged || diverged)
                            (settledAt[c], final[c], loss[c]) = (t, now[k], lossNow[k]);
                        else
                            keep.Add(k);
                    }
                    if (keep.Count == 0) { active = []; break; }
                    // Settled cells leave the batch: they cost nothing more, and a converged z cannot decay into
                    // denormal floats (which made 1,200 steps take four times as long as 600).
                    if (keep.Count < active.Length)
                    {
                        using var rows = tensor(keep.ToArray());
                        var (zKept, jKept) = (z.index_select(0, rows), j.index_select(0, rows));
                        z.Dispose();
                        j.Dispose();
                        (z, j) = (zKept, jKept);
                        active = keep.Select(k => active[k]).ToArray();
                        now = keep.Select(k => now[k]).ToArray();
                    }
                    last = now;
                }
                using var stepScope = NewDisposeScope();
                int n = active.Length;
                var v = j.transpose(1, 2).bmm(z.unsqueeze(2)).squeeze(2);          // Jᵀz, [cells, P]
                var qv = q.matmul(v.t()).t().reshape(n, d, p);                     // Q(Jᵀz, ·)
                var qvv = qv.bmm(v.unsqueeze(2)).squeeze(2);                       // Q(Jᵀz, Jᵀz)
                var jv = j.bmm(v.unsqueeze(2)).squeeze(2);                         // J Jᵀz
                // In place, so memory stays at one state per cell; diverging runs are clamped (not NaN) so that
                // they stay in the batch harmlessly until the next check takes them out.
                z.add_(jv, -eta).add_(qvv, 0.5 * eta * eta).nan_to_num_(1e30, 1e30, -1e30).clamp_(-1e30, 1e30);
                j.add_(qv, -eta).nan_to_num_(1e30, 1e30, -1e30).clamp_(-1e30, 1e30);
            }
            if (active.Length > 0)
            {
                var (now, lossNow) = (Sharpness(j, eta), Loss(z));
                for (int k = 0; k < active.Length; k++)
                    (final[active[k]], loss[active[k]]) = (now[k], lossNow[k]);
            }
            for (int c = 0; c < cells; c++)
            {
                bool diverged = loss[c] > 1e12 || !double.IsFinite(loss[c]) || !double.IsFinite(final[c]);
                finals[c, s] = diverged ? double.PositiveInfinity : final[c];
                initials[c, s] = initial[c];
                stepsRun[c, s] = settledAt[c] > 0 ? settledAt[c] : t;
                unsettled[c, s] = settledAt[c] == 0 && !diverged && stopping.Tolerance >= 0;
            }
            seedDone?.Invoke(s + 1);
        }
        var result = new List<PhaseCell>();
        for (int a = 0; a < sigmaZTilde.Length; a++)
            for (int b = 0; b < sigmaJTilde.Length; b++)
            {
                int c = a * sigmaJTilde.Length + b;
                var row = Enumerable.Range(0, seeds).Select(s => finals[c, s]).ToArray();
                result.Add(new PhaseCell(sigmaZTilde[a], sigmaJTilde[b], Median(row),
                    row.Count(double.IsPositiveInfinity) / (double)seeds, Median(Enumerable.Range(0, seeds).Select(s => initials[c, s]).ToArray()),
                    Median(Enumerable.Range(0, seeds).Select(s => stepsRun[c, s]).ToArray()),
                    Enumerable.Range(0, seeds).Count(s => unsettled[c, s]) / (double)seeds));
            }
        return result;
    }

    /// <summary>½‖z‖² of each cell, in float64.</summary>
    private static double[] Loss(Tensor z) => (0.5 * z.to(float64).pow(2).sum(1)).data<double>().ToArray();

    /// <summary>η·λ_max(J Jᵀ) of each cell, in float64.</summary>
    private static double[] Sharpness(Tensor j, double eta)
    {
        var j64 = j.to(float64);
        var values = linalg.eigvalsh(j64.bmm(j64.transpose(1, 2)));
        return (values[.., -1] * eta).data<double>().ToArray();
    }

    public static double Median(double[] values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        int n = sorted.Length;
        return n == 0 ? double.NaN : n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    }
}
