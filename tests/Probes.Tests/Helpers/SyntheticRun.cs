using System.Globalization;
using Probes.Probing;
using Training.Runs;
using Training.Train;

namespace Probes.Tests;

/// <summary>A hand-made run directory with known answers, written through the production trace writer.</summary>
public static class SyntheticRun
{
    /// <summary>
    /// Probes every step 0..steps−1. η·λ₁ is given by <paramref name="sharpness"/>; z₁ obeys the two-step law
    /// (z₁)ₜ₊₂ = (z₁)ₜ(1 + 2yₜ) exactly and flips sign every step.
    /// </summary>
    public static string Write(string folder, int steps, Func<int, double> sharpness, double lr = 0.01)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"),
            $$"""{ "settings": { "name": "synthetic", "lr": {{lr}}, "steps": {{steps}} } }""");
        using (var train = new CsvTrace(Path.Combine(folder, "train.csv"), TrainStepMetrics.Columns))
            for (int t = 0; t < steps; t++)
                train.Write(new TrainStepMetrics(t, 1.0 / (1 + t), Math.Min(1, t / (double)steps), 1.2 / (1 + t), 0.3, 1, 10, t * 0.1).Values());
        using (var probes = new CsvTrace(Path.Combine(folder, "probes.csv"), ProbeRecord.Columns(2)))
        {
            var z = new double[steps + 2];
            z[0] = 0.5;
            z[1] = -0.45;
            for (int t = 0; t + 2 < z.Length; t++) z[t + 2] = z[t] * (1 + 2 * (sharpness(t) - 2));
            for (int t = 0; t < steps; t++)
            {
                double s1 = sharpness(t);
                probes.Write(new Dictionary<string, double>
                {
                    ["step"] = t, ["ntk_1"] = s1 / lr, ["ntk_2"] = 1.5 / lr, ["eta_ntk_1"] = s1, ["y"] = s1 - 2,
                    ["z1"] = z[t], ["eta_ntk_2"] = 1.5 + 0.6 * Math.Sin(t / 3.0), ["eta_hess_1"] = s1 * 1.01,
                    ["q1_max"] = 50 + t, ["q1_min"] = -40, ["qr_max"] = 5, ["qr_min"] = -4,
                    ["nl_ratio"] = 0.01 * t, ["z1_lin"] = -s1 * z[t], ["z1_nl"] = 0.01 * t * -s1 * z[t],
                    ["nl_ratio_full"] = 0.03 * t, ["nl_ratio_2step"] = 0.2 * t, ["nl_ratio_2step_full"] = 0.6 * t,
                });
            }
        }
        using (var spectra = new CsvTrace(Path.Combine(folder, "spectra.csv"), ["step", "operator", "end", "index", "value"]))
            foreach (var op in new[] { "q1", "qr" })
                for (int i = 1; i <= 3; i++)
                {
                    string index = i.ToString(CultureInfo.InvariantCulture);
                    spectra.WriteFields(["5", op, "top", index, CsvTrace.Format(op == "q1" ? 60.0 / i : 6.0 / i)]);
                    spectra.WriteFields(["5", op, "bottom", index, CsvTrace.Format(op == "q1" ? -50.0 / i : -5.0 / i)]);
                }
        return folder;
    }
}
