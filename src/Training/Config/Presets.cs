using System.Text.Json.Nodes;

namespace Training.Config;

/// <summary>Named settings a run can start from; flags and config files override them.</summary>
internal static class Presets
{
    /// <summary>
    /// paper: Agarwala et al. §5 (after Cohen et al.): n = 5,000, η = 0.01, float32, seed 0; probes every
    /// 100 steps and every step over 4,560–4,760, measured here: η·λ₁ first reaches 2 at step ~4,370, peaks
    /// at 2.11 near 4,600, first falls at ~4,610 and then hovers at 2.00–2.06.
    /// paper-eos: the paper run extended to step 6,000 with every step probed while η·λ₁ > 1.9 (the whole EOS
    /// phase, several cycles), the Hessian on the even steps (the NTK's η·λ₁ is the EOS quantity; the Hessian
    /// checks it, and its solve is half of an EOS probe that has it), Q extremes every 200th step (the paper finds
    /// Q₁'s spectrum nearly constant; a Q probe costs ~10 NTK/Hessian/ratio probes) and Q spectra at 4,600, 5,000,
    /// 5,500, 6,000. Measured: 73.8 min and 1.75 GB peak on 2 cores (docs/reproduction.md).
    /// quick: n = 500 and η = 0.015, measured: η·λ₁ rises from 1.13 at init to 2 by step ~580 and then hovers
    /// at 1.93–2.17; probes every 50 steps and every step while η·λ₁ > 1.9 (so the window follows --lr and --steps), Q
    /// spectra at step 620.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, JsonObject> All = new Dictionary<string, JsonObject>
    {
        ["paper"] = new()
        {
            ["name"] = "paper", ["n"] = 5000, ["lr"] = 0.01, ["steps"] = 4800, ["dtype"] = "float32", ["seed"] = 0,
            ["probe-every"] = 100, ["probe-window"] = new JsonArray("4560:4760"), ["probe-above"] = null, ["probe-k"] = 2, ["test-every"] = 10,
            ["spectra-at"] = new JsonArray(4560, 4700),
        },
        ["paper-eos"] = new()
        {
            ["name"] = "paper-eos", ["n"] = 5000, ["lr"] = 0.01, ["steps"] = 6000, ["dtype"] = "float32", ["seed"] = 0,
            ["probe-every"] = 100, ["probe-window"] = new JsonArray(), ["probe-above"] = 1.9, ["probe-k"] = 2, ["probe-q-every"] = 200,
            ["probe-hess-every"] = 2, ["test-every"] = 10, ["spectra-at"] = new JsonArray(4600, 5000, 5500, 6000),
        },
        ["quick"] = new()
        {
            ["name"] = "quick", ["n"] = 500, ["lr"] = 0.015, ["steps"] = 700, ["dtype"] = "float32", ["seed"] = 0,
            ["probe-every"] = 50, ["probe-window"] = new JsonArray(), ["probe-above"] = 1.9, ["probe-k"] = 2, ["test-every"] = 10,
            ["log-every"] = 100, ["spectra-at"] = new JsonArray(620),
        },
    };

    /// <summary>One line per preset for the help text.</summary>
    public static readonly IReadOnlyDictionary<string, string> Descriptions = new Dictionary<string, string>
    {
        ["paper"] = "the paper's §5 setup, probed every step over 4,560–4,760",
        ["paper-eos"] = "the paper's setup to step 6,000, probed every step while η·λ₁ > 1.9",
        ["quick"] = "n = 500, EOS within minutes on 2 cores",
    };

    static Presets()
    {
        if (!All.Keys.Order().SequenceEqual(Descriptions.Keys.Order())) throw new InvalidOperationException("every preset needs one description.");
    }

    public static JsonObject Get(string name) =>
        All.TryGetValue(name, out var preset) ? (JsonObject)preset.DeepClone()
            : throw new ProbesError($"unknown preset '{name}' (known: {string.Join(", ", All.Keys)}).");
}
