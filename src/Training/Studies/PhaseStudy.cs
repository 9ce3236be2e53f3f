using QuadraticFit.Models;
using QuadraticFit.Simulation;
using Training.Reports;
using Training.Runs;
using Training.Train;
using static TorchSharp.torch;

namespace Training.Studies;

/// <summary>
/// <c>probes quad phase</c>, the paper's Figure 4: the median final η·λ_max of random quadratic models over a
/// σ̃_z × σ̃_J grid (computed by <see cref="PhaseDiagram"/>), written to phase.csv and drawn as phase.png.
/// </summary>
internal static class PhaseStudy
{
    /// <summary>What to run: the model size, the grid, seeds per cell, when to stop, η, precision and Q's convention.</summary>
    public sealed record Spec(int D, int P, double[] SigmaZ, double[] SigmaJ, int Seeds, PhaseStopping Stopping, double Lr, ScalarType DType,
        QConvention Convention);

    public static readonly Table<PhaseCell> Table = new("phase.csv",
    [
        new("sigma_z_tilde", "σ̃_z = D·σ_z of the cell (the initial residual's scale)", c => c.SigmaZTilde),
        new("sigma_j_tilde", "σ̃_J = (DP)^¼·σ_J of the cell (the initial Jacobian's scale)", c => c.SigmaJTilde),
        new("median_final_sharpness", "median over the seeds of the final η·λ_max; +∞ when more than half diverged", c => c.MedianSharpness),
        new("diverged_fraction", "fraction of the seeds whose loss diverged (above 1e12 or not finite)", c => c.DivergedFraction),
        new("median_initial_sharpness", "median η·λ_max at initialisation", c => c.MedianInitialSharpness),
        new("median_steps", "median number of GD steps the seeds ran (until settled, diverged or the cap)", c => c.MedianSteps),
        new("unsettled_fraction", "fraction of the seeds still moving when the step cap stopped them", c => c.UnsettledFraction),
    ]);

    /// <summary>Runs the grid with progress, writes phase.csv and phase.png into <paramref name="run"/>.</summary>
    public static List<PhaseCell> Run(Spec s, RunDirectory run)
    {
        var cells = ProgressDisplay.Run(s.Seeds, progress =>
            PhaseDiagram.Run(s.D, s.P, s.SigmaZ, s.SigmaJ, s.Seeds, s.Stopping, s.Lr, s.DType,
                done => progress.Report(done, s.Seeds, $"seed {done}/{s.Seeds}"), s.Convention));
        Table.Write(run, cells);
        PhaseFigure.Draw(cells, s.SigmaZ, s.SigmaJ, run.File("phase.png"),
            $"D = {s.D}, P = {s.P}, Q {s.Convention.Name()}: {s.Seeds} seeds, η = {s.Lr}, {Horizon(s.Stopping)}");
        return cells;
    }

    /// <summary>How long each model ran, in words for the figure's title (short: it must fit above the heatmap).</summary>
    public static string Horizon(PhaseStopping stopping) => stopping.Tolerance < 0 ? $"{stopping.MaxSteps:N0} steps"
        : $"until settled (≤ {stopping.MaxSteps:N0} steps)";
}
