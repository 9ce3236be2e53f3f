using System.Diagnostics;
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
        var repository = new DirectoryInfo(AppContext.BaseDirectory);
        while (repository is not null && !File.Exists(Path.Combine(repository.FullName, "Probes.sln"))) repository = repository.Parent;
        Assert.NotNull(repository);
        var figures = dir.Combine("figures");
        var start = new ProcessStartInfo("/usr/bin/jupyter-execute")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = repository!.FullName,
        };
        start.ArgumentList.Add(Path.Combine("notebooks", "review.ipynb"));
        start.Environment["PROBES_RUN"] = run;
        start.Environment["PROBES_FIGURES"] = figures;
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, output.Result + error.Result);
        foreach (var figure in new[] { "figure5.png", "figure6.png", "loss.png" })
        {
            var path = Path.Combine(figures, figure);
            Assert.True(File.Exists(path) && new FileInfo(path).Length > 10_000, $"{figure} was not drawn");
        }
    }
}
