using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using QuadraticFit.Models;
using QuadraticFit.Simulation;
using Training.Runs;
using Training.Studies;
using static Training.Cli.QuadCommand;

namespace Training.Cli;

/// <summary>
/// <c>probes quad sharpening</c> (Theorem 4.1's series for growing D, P) and <c>probes quad nonlinearity</c>
/// (r_NL of Eq. 27): Monte Carlo statistics of random quadratic models at initialisation, to CSV and figures.
/// </summary>
internal static class QuadStatisticsCommands
{
    public static Command Sharpening()
    {
        var sizes = Opt("--sizes", "D:P pairs, comma-separated (keep D/P fixed to see the large-size limit).", "10:20,20:40,40:80,80:160");
        var sigmaZ = Opt("--sigma-z", "σ̃_z values, comma-separated (σ_z = σ̃_z/D).", "0.25,0.5,1,2");
        var sigmaJ = Opt("--sigma-j", "σ̃_J (σ_J = σ̃_J/(DP)^¼); the ratio does not depend on it.", 1.0);
        var seeds = Opt("--seeds", "Random models per point (each point draws its own).", 400);
        var flowTime = Opt("--flow-time", "Length of the early gradient-flow curves (0: none).", 0.3);
        var flowSteps = Opt("--flow-steps", "RK4 steps of each flow curve.", 30);
        var flowSeeds = Opt("--flow-seeds", "Models per flow curve.", 40);
        var convention = ConventionOption();
        var output = new Option<string?>("--out") { Description = "Output directory (default runs/<UTC time>-quad-sharpening)." };
        var json = new Option<bool>("--json") { Description = "Print a JSON object instead of the one-line summary." };
        var command = new Command("sharpening",
            "Theorem 4.1: E[λ̈_max(0)]/E[λ_max(0)] under gradient flow against σ̃_z² for growing D, P, by Monte Carlo with error bars, "
            + "beside the Q-, z-averaged formula and its large-size limit; and early flow curves E[λ_max(t)]/E[λ_max(0)] at the largest size.")
            { sizes, sigmaZ, sigmaJ, seeds, flowTime, flowSteps, flowSeeds, convention, output, json };
        command.SetAction(r =>
        {
            var shapes = ListArguments.Sizes(r.GetValue(sizes)!);
            var q = Convention(r.GetValue(convention)!);
            foreach (var (dd, pp) in shapes) FitsInMemory(dd, pp);
            var zs = ListArguments.Numbers(r.GetValue(sigmaZ)!, "--sigma-z");
            double sj = Positive(r.GetValue(sigmaJ), "--sigma-j");
            int n = r.GetValue(seeds), fSteps = r.GetValue(flowSteps), fSeeds = r.GetValue(flowSeeds);
            double fTime = r.GetValue(flowTime);
            if (n < 2) throw new ProbesError("--seeds must be at least 2 (standard errors need two samples).");
            if (!(fTime >= 0) || (fTime > 0 && (fSteps < 1 || fSeeds < 2)))
                throw new ProbesError("--flow-time must be ≥ 0, with --flow-steps ≥ 1 and --flow-seeds ≥ 2.");
            // λ_max ≈ σ_J²(√D + √P)² (the Marchenko–Pastur edge) = σ̃_J²(√D + √P)²/√(DP) in the rescaling.
            double stiffness = fTime > 0 ? fTime / fSteps * shapes.Max(s => sj * sj * Math.Pow(Math.Sqrt(s.D) + Math.Sqrt(s.P),
                2) / Math.Sqrt((double)s.D * s.P)) : 0;
            if (!(sj * sj > 1e-200))
                throw new ProbesError($"--sigma-j {sj} is so small that J Jᵀ underflows float64 (λ_max = 0, ratios 0/0): choose σ̃_J ≥ 1e-100.");
            if (!double.IsFinite(stiffness) || stiffness * fSteps / fTime > 1e150)
                throw new ProbesError(
                    $"--sigma-j {sj} makes λ_max ≈ σ̃_J²(√D + √P)²/√(DP) overflow float64 in the flow: choose a smaller --sigma-j.");
            if (stiffness > 0.1)
                throw new
                    ProbesError($"--flow-time {fTime} in {fSteps} steps gives dt·λ_max ≈ {stiffness:G2}; RK4 needs it ≤ 0.1: raise --flow-steps.");
            using var run = RunDirectory.Create(r.GetValue(output) ?? RunDirectory.DefaultPath("quad-sharpening"));
            QuadRunConfig.Write(run, r);
            var clock = Stopwatch.StartNew();
            var (points, coefficients, figures) = SharpeningStudy.Run(new SharpeningStudy.Spec(shapes, zs, sj, n, q, fTime, fSteps, fSeeds), run);
            double seconds = clock.Elapsed.TotalSeconds;
            var line = string.Join("; ", coefficients.Select(c =>
                $"D={c.D},P={c.P}: c̃ = {c.Measured.Mean:G4} ± {c.Measured.StandardError:G2} (formula {c.Predicted.Mean:G4}, limit "
                    + $"{c.Limit:G4}, χ²/dof "
                        + $"{c.ChiSquaredPerDof?.ToString("F2", CultureInfo.InvariantCulture) ?? "n/a"})"));
            ReportCommands.Print(r.GetValue(json), $"E[λ̈]/E[λ] = c̃·σ̃_z² (Q {q.Name()}): {line}; {seconds:F1} s → {run.Path}",
                new
                {
                    directory = run.Path, seconds, seeds = n, sigmaJTilde = sj, qConvention = q.Name(),
                    coefficients = coefficients.Select(c => new
                    {
                        c.D, c.P, c.Measured, c.Predicted, c.ChiSquaredPerDof,
                        limit = c.Limit
                    }),
                    points, figures
                });
            return 0;
        });
        return command;
    }

    public static Command Nonlinearity()
    {
        var d = Opt("--D", "Outputs.", 40);
        var p = Opt("--P", "Parameters.", 80);
        var sigmaZ = Opt("--sigma-z", "σ̃_z values, comma-separated.", "0.25,0.5,1,2");
        var sigmaJ = Opt("--sigma-j", "σ̃_J values, comma-separated.", "0.25,0.5,1,2");
        var eta = Opt("--lr", "η values, comma-separated.", "0.25,0.5,1,2");
        var seeds = Opt("--seeds", "Random models per grid point (each point draws its own).", 100);
        var convention = ConventionOption();
        var output = new Option<string?>("--out") { Description = "Output directory (default runs/<UTC time>-quad-nonlinearity)." };
        var json = new Option<bool>("--json") { Description = "Print a JSON object instead of the one-line summary." };
        var command = new Command("nonlinearity",
            "The nonlinearity ratio r_NL (Eq. 27) of random models on a σ̃_z × σ̃_J × η grid: CSV, figure and fitted power-law exponents.")
            { d, p, sigmaZ, sigmaJ, eta, seeds, convention, output, json };
        command.SetAction(r =>
        {
            int dd = r.GetValue(d), pp = r.GetValue(p), n = r.GetValue(seeds);
            var q = Convention(r.GetValue(convention)!);
            if (dd < 1 || pp < 1) throw new ProbesError("--D and --P must be positive.");
            FitsInMemory(dd, pp);
            if (n < 2) throw new ProbesError("--seeds must be at least 2 (standard errors need two samples).");
            var zs = ListArguments.Numbers(r.GetValue(sigmaZ)!, "--sigma-z");
            var js = ListArguments.Numbers(r.GetValue(sigmaJ)!, "--sigma-j");
            var etas = ListArguments.Numbers(r.GetValue(eta)!, "--lr");
            using var run = RunDirectory.Create(r.GetValue(output) ?? RunDirectory.DefaultPath("quad-nonlinearity"));
            QuadRunConfig.Write(run, r);
            var clock = Stopwatch.StartNew();
            var (points, law, exact, limit, figure) = NonlinearityStudy.Run(new NonlinearityStudy.Spec(dd, pp, zs, js, etas, n, q), run);
            static string Show(string name, Exponent? e) => e is null ? $"{name}: not varied" : $"{name}^{e.Value:F3}±{e.StandardError:F3}";
            double seconds = clock.Elapsed.TotalSeconds;
            ReportCommands.Print(r.GetValue(json),
                $"r_NL ≈ {law.Prefactor:G4}·{Show("σ̃_z", law.SigmaZ)}·{Show("η", law.Eta)}·{Show("σ̃_J", law.SigmaJ)} "
                + $"(exact {exact:G4}·σ̃_z·η, large-size law {limit:G4}, Q {q.Name()}); {seconds:F1} s → {run.Path}",
                new
                {
                    directory = run.Path, seconds, d = dd, p = pp, seeds = n, qConvention = q.Name(), powerLaw = law,
                    exactPrefactor = exact, limitPrefactor = limit, points,
                    figures = new[] { figure }
                });
            return 0;
        });
        return command;
    }

    internal static Option<string> ConventionOption() => Opt("--q-convention",
        "How Q is drawn: goe (off-diagonal variance 1, diagonal 2) or iid (the paper's \"i.i.d. elements with variance 1\", whose symmetric "
            + "part has off-diagonal variance ½: Q/√2, halving every constant quadratic in Q).", "goe");

    internal static QuadraticFit.Models.QConvention Convention(string name)
    {
        try { return QuadraticFit.Models.QConventions.Parse(name); }
        catch (ArgumentException e) { throw new ProbesError("--q-convention: " + e.Message); }
    }
}
