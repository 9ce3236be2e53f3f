using System.Text.Json.Nodes;

namespace Training.Config;

/// <summary>Named settings a run can start from; flags and config files override them.</summary>
public static class Presets
{
    /// <summary>
    /// paper: Agarwala et al. §5 (after Cohen et al.): n = 5,000, η = 0.01, float32, seed 0, probes every
    /// 100 steps and every step once η·λ₁ > 1.9 (the edge-of-stability window).
    /// quick: n = 500 and η = 0.04 so that progressive sharpening and EOS show within minutes on 2 cores.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, JsonObject> All = new Dictionary<string, JsonObject>
    {
        ["paper"] = new()
        {
            ["name"] = "paper", ["n"] = 5000, ["lr"] = 0.01, ["steps"] = 4000, ["dtype"] = "float32", ["seed"] = 0,
            ["probe-every"] = 100, ["probe-above"] = 1.9, ["probe-k"] = 2, ["test-every"] = 10,
        },
        ["quick"] = new()
        {
            ["name"] = "quick", ["n"] = 500, ["lr"] = 0.04, ["steps"] = 1500, ["dtype"] = "float32", ["seed"] = 0,
            ["probe-every"] = 25, ["probe-above"] = 1.9, ["probe-k"] = 2, ["test-every"] = 10, ["log-every"] = 100,
        },
    };

    public static JsonObject Get(string name) =>
        All.TryGetValue(name, out var preset) ? (JsonObject)preset.DeepClone()
            : throw new ProbesError($"unknown preset '{name}' (known: {string.Join(", ", All.Keys)}).");
}
