using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Training.Cli;

/// <summary>
/// The flags of <c>probes train</c>, one per setting, each named like its config key. Only flags the user
/// typed become the top layer of the settings, so presets and config files fill in the rest.
/// </summary>
internal sealed class SettingsOptions
{
    private readonly List<(Option Option, Func<ParseResult, JsonNode?> Read)> _options = new();

    public Option<string?> Config { get; } = new("--config") { Description = "JSON file of settings (keys as the flag names); flags win." };

    public SettingsOptions()
    {
        var presets = global::Training.Config.Presets.Descriptions;
        Add<string>("--preset", string.Join("; ", presets.Select(p => $"{p.Key}: {p.Value}")) + ".");
        Add<string>("--name", "Run name, used in the default run directory runs/<UTC time>-<name>.");
        Add<string>("--out", "Run directory to create (refused if it exists).");
        Add<string>("--data", "CIFAR-10 binary folder (else $CIFAR10_DIR, data/cifar-10-batches-bin, ../shared/cifar-10-batches-bin), or "
            + "your own tensors: a .safetensors or torch.save .pt file with x (n × …) and y (n × outputs) or integer labels, optionally "
            + "x_test with y_test or labels_test; used as given.");
        Add<int>("--n", "Training examples: the first n of the training set (default {default}).");
        Add<int>("--n-test", "Test examples (default: all test records present; 0: none).");
        Add<string>("--arch", "fc (fully connected, the paper's) or cnn (Cohen et al.'s convnet: --depth blocks of a 3 × 3 convolution of "
            + "--width channels, σ and a 2 × 2 max-pool, then a linear layer; width 32 unless given), or Cohen et al.'s ids fc-tanh, fc-relu, "
            + "fc-elu, cnn-relu, cnn-tanh, cnn-elu, which set --activation too (default {default}).");
        Add<string>("--model", "A TorchScript file (torch.jit.script(model).save(path) or torch.jit.trace) to train and probe instead of a "
            + "built-in network (sets --arch script); its outputs must be [n, 10], its parameters all require grad, its forward deterministic.");
        Add<string>("--input-shape", "C,H,W: the shape each example is viewed as for --model (e.g. 3,32,32; default: flat, 3072).");
        Add<int>("--width", "Hidden width, or a cnn's channels (default {default}).");
        Add<int>("--depth", "Hidden layers, or a cnn's conv blocks (default {default}).");
        Add<string>("--activation", "tanh, relu, elu or identity (default {default}).");
        Add<long>("--seed", "torch.manual_seed for the init and the probes' random vectors (default {default}).");
        Add<double>("--lr", "GD step size η (default {default}).");
        Add<int>("--steps", "GD steps (default {default}).");
        Add<string>("--loss", "mse (½‖f − y‖², the paper's) or ce (softmax cross-entropy, PyTorch's cross_entropy), each a mean over "
            + "examples (default {default}).");
        Add<string>("--optimizer", "gd, momentum, nesterov, rmsprop or adam, with PyTorch's update rules (default {default}).");
        Add<double>("--momentum", "β of momentum and nesterov, as torch.optim.SGD's momentum (default {default}).");
        Add<double>("--beta1", "Adam's β₁ (default {default}).");
        Add<double>("--beta2", "Adam's β₂ (default 0.999) or RMSprop's α (default 0.99).");
        Add<double>("--eps", "ε of Adam and RMSprop (default {default}).");
        Add<string>("--dtype", "float32 or float64 (default {default}).");
        Add<string>("--device", "cpu or cuda (needs the GPU build; default {default}).");
        Add<int>("--threads", "Torch intra-op threads (default: torch's).");
        Add<double>("--target-loss", "Stop once the train loss is at most this.");
        Add<double>("--target-accuracy", "Stop once the train accuracy is at least this.");
        Add<int>("--test-every", "Evaluate the test set every k steps (default {default}).");
        Add<int>("--log-every", "Log a progress line every k steps (default {default}).");
        Add<int>("--checkpoint-every", "Write a resumable checkpoint every k steps (default {default}; also at step 0, on Ctrl-C and at the end).");
        Add<string>("--init-weights",
            "Start from this PyTorch state_dict (.safetensors, or torch.save .pt/.pth/.bin) of the nn.Sequential of this "
                + "architecture's layers (fc: Linear, σ, …; cnn: Conv2d, σ, MaxPool2d, …, Flatten, Linear), instead of the seeded init.");
        Add<int>("--probe-every", "Probe every k steps (default {default}; 0: only --probe-window steps, so no windows means no probes).");
        Add<string[]>("--probe-window", "A:B: probe every step from A to B (repeatable; '' drops a preset's windows).", many: true,
            commaSeparated: true);
        Add<double>("--probe-above", "Probe every step while the last probe's sharpness exceeds this: η·λ₁ for GD on mse, 2·edge for any "
            + "other optimizer or loss, 2 at the edge either way (default {default}; presets: off).");
        Add<int>("--probe-k", "Eigenpairs of the NTK and the Hessian (default {default}).");
        Add<double>("--probe-tol", "Relative residual tolerance of the NTK solves, which give v₁ and so z₁ (default {default}).");
        Add<double>("--probe-hess-tol",
            "Relative residual tolerance of the loss-Hessian solves, whose eigenvalues alone are traced (default {default}).");
        Add<double>("--probe-q-tol", "Relative residual tolerance of the Q₁ and Q_r both-ends solves (default {default}).");
        Add<int>("--probe-max-iter", "Lanczos iteration cap per operator (default {default}).");
        Add<int>("--probe-q-every",
            "Q₁ and Q_r extremes at every K-th probe (counted in probes, not steps) and at --spectra-at steps (default {default}; 1: every "
                + "probe).");
        Add<int>("--probe-hess-every",
            "Loss-Hessian solves at probed steps that are multiples of K, and at --spectra-at steps (default {default}; 2: the even steps of an "
                + "EOS phase).");
        Add<int>("--probe-deflate",
            "Eigenpairs below the top k of the NTK and the Hessian kept to precondition their step-by-step solves (default {default}; 0: Lanczos "
                + "only).");
        Add<string[]>("--probes", $"Comma-separated subset of {string.Join(",", Probes.Probing.ProbeOptions.KindNames.Keys)} (default all).",
            many: true, commaSeparated: true);
        Add<string[]>("--spectra-at",
            "Steps at which to write Q₁ and Q_r spectra to spectra.csv (repeatable or comma-separated; '' drops a preset's).", many: true,
            commaSeparated: true);
        Add<int>("--spectra-m", "Ritz values per spectrum end in spectra.csv (default {default}).");
        Add<int>("--spectra-density",
            "Random vectors of a stochastic-Lanczos-quadrature density of Q₁ and Q_r at --spectra-at steps, into density.csv (default 0: none).");
        Add<int>("--spectra-density-steps", "Lanczos steps per SLQ vector (default {default}).");
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Config);
        foreach (var (option, _) in _options) command.Options.Add(option);
    }

    /// <summary>The flags the user gave, as a JSON layer keyed by setting name.</summary>
    public JsonObject Layer(ParseResult result)
    {
        var layer = new JsonObject();
        foreach (var (option, read) in _options)
            if (result.GetResult(option) is { Implicit: false })
                layer[global::Training.Config.SettingKeys.Of(option.Name)] = read(result);
        return layer;
    }

    /// <summary>The settings' defaults by key, for the "(default {default})" of each flag's help.</summary>
    private static readonly JsonObject Defaults =
        (JsonObject)JsonSerializer.SerializeToNode(new global::Training.Config.TrainSettings(), global::Training.Config.SettingsResolver.Json)!;

    private void Add<T>(string name, string description, bool many = false, bool commaSeparated = false)
    {
        if (description.Contains("{default}"))
            description = description.Replace("{default}", Defaults[global::Training.Config.SettingKeys.Of(name)] switch
            {
                JsonValue v when v.TryGetValue(out double d) && d != 0 && Math.Abs(d) < 1e-3 => d.ToString("0e0",
                    System.Globalization.CultureInfo.InvariantCulture),
                JsonValue v when v.TryGetValue(out string? text) => text,
                JsonNode v => v.ToJsonString(),
                null => throw new InvalidOperationException($"{name} has no default to show."),
            });
        var option = new Option<T>(name) { Description = description, AllowMultipleArgumentsPerToken = many };
        _options.Add((option, result =>
        {
            var value = result.GetValue(option);
            if (commaSeparated && value is string[] words)
            {
                var items = words.SelectMany(w => w.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
                if (name != "--spectra-at") return JsonSerializer.SerializeToNode(items);
                return JsonSerializer.SerializeToNode(items.Select(i => int.TryParse(i, out int step) ? step
                    : throw new ProbesError($"--spectra-at: '{i}' is not a step number.")).ToArray());
            }
            // JSON has no NaN or ∞, and no setting means anything with them: refuse here, with the flag's name.
            if (value is double d && !double.IsFinite(d)) throw new
                ProbesError($"{name} must be a finite number, got {d.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
            return JsonSerializer.SerializeToNode(value);
        }
        ));
    }
}
