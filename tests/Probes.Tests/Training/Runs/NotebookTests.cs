using Xunit;

namespace Probes.Tests;

/// <summary>
/// notebooks/review.ipynb executed by jupyter-execute (Debian's python3-nbclient, with python3-ipykernel and python3-matplotlib,
/// which .ci/run installs) on a small run: every cell runs and its three figures are written.
/// </summary>
public class NotebookTests
{
    [Fact]
    public void TheReviewNotebookRunsOnASmallRunAndDrawsItsFigures()
    {
        using var cifar = new SyntheticCifar(train: 32, test: 8);
        using var dir = new TempDirectory();
        var run = dir.Combine("run");
        var (exit, _, err) = CommandLineTests.Probes("train", "--data", cifar.Folder, "--out", run, "--n", "24", "--width", "16",
            "--n-test", "8", "--steps", "8", "--lr", "0.05", "--probe-every", "1", "--probe-above", "100", "--spectra-at", "",
            "--threads", "1", "--probe-q-every", "2", "--probes", "ntk,hessian,q1,ratio");
        Assert.True(exit == 0, err);
        var figures = dir.Combine("figures");
        var (code, output, error) = Repository.Run("/usr/bin/jupyter-execute", [Path.Combine("notebooks", "review.ipynb")], Repository.Root,
            new Dictionary<string, string> { ["PROBES_RUN"] = run, ["PROBES_FIGURES"] = figures });
        Assert.True(code == 0, output + error);
        foreach (var figure in new[] { "figure5.png", "figure6.png", "loss.png" })
        {
            var path = Path.Combine(figures, figure);
            Assert.True(File.Exists(path) && new FileInfo(path).Length > 10_000, $"{figure} was not drawn");
        }
    }
}
