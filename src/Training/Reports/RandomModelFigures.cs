using QuadraticFit.Simulation;
using Training.Runs;

namespace Training.Reports;

/// <summary>
/// The paper's Figure 3: GD on random quadratic models (D = 60, P = 120, η = 1, Theorem 4.1's initialisation)
/// for several σ̃_z at one σ̃_J: the loss (left) and η·λ_max (right) against steps, with their data as CSV.
/// </summary>
internal static class RandomModelFigures
{
    public static readonly double[] DefaultSigmaZ = [0.05, 0.1, 0.2, 0.3, 0.35];

    public static PaperFigure Figure3(string folder, double[]? sigmaZ = null, double sigmaJ = 0.25, int d = 60, int p = 120, double eta = 1,
        int steps = 2000, long seed = 0)
    {
        sigmaZ ??= DefaultSigmaZ;
        var loss = new Figure("figure3-loss", $"Figure 3 (left): D = {d}, P = {p}, η = {eta}, σ̃_J = {sigmaJ}: loss", "step", "log₁₀ loss");
        var sharpness = new Figure("figure3-sharpness", $"Figure 3 (right): η·λ_max", "step", "η·λ_max");
        sharpness.StabilityLine();
        var numbers = new Dictionary<string, double>();
        string csvPath = Path.Combine(folder, "figure3.csv");
        using (var csv = new CsvTrace(csvPath, ["sigma_z_tilde", "step", "z_tilde", "eta_lambda_max", "loss"]))
            foreach (double sz in sigmaZ)
            {
                var path = Trajectory.RandomModel(d, p, sz, sigmaJ, seed, eta, steps);
                foreach (var pt in path)
                    csv.Write(new Dictionary<string, double>
                    {
                        ["sigma_z_tilde"] = sz, ["step"] = pt.Step, ["z_tilde"] = pt.Z, ["eta_lambda_max"] = pt.Sharpness, ["loss"] = pt.Loss,
                    });
                var color = loss.Plot.Add.GetNextColor();
                double[] steps_ = [.. path.Select(x => (double)x.Step)];
                loss.Line(steps_, [.. path.Select(x => Math.Log10(Math.Max(x.Loss, 1e-300)))], $"σ̃_z = {sz}", color);
                sharpness.Line(steps_, [.. path.Select(x => x.Sharpness)], $"σ̃_z = {sz}", color);
                numbers[$"initial_sharpness_sz{sz}"] = path[0].Sharpness;
                numbers[$"max_sharpness_sz{sz}"] = path.Max(x => x.Sharpness);
                numbers[$"final_sharpness_sz{sz}"] = path[^1].Sharpness;
                numbers[$"loss_monotone_sz{sz}"] = path.Zip(path.Skip(1)).All(x => x.Second.Loss <= x.First.Loss * (1 + 1e-12)) ? 1 : 0;
            }
        return new PaperFigure(3, PaperFigure.Captions[3], numbers, [csvPath, loss.Save(folder), sharpness.Save(folder)]);
    }
}
