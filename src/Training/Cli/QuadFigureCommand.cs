using System.CommandLine;
using System.Text.Json;
using Training.Reports;
using Training.Runs;

namespace Training.Cli;

/// <summary><c>probes quad figure N</c>: one of the paper's quadratic-model figures, with its data and numbers.</summary>
internal static class QuadFigureCommand
{
    public static Command Create()
    {
        var number = new Argument<int>("N")
        {
            Description =
                $"The paper's figure: {string.Join(", ", PaperFigure.Captions.Keys)} (Figure 4 is `quad phase`, 2 middle/right `quad simulate`)."
        };
        var output = new Option<string?>("--out") { Description = "Output directory (default runs/<UTC time>-figureN)." };
        var json = new Option<bool>("--json") { Description = "Print the figure's numbers and files as JSON instead of one line." };
        var command = new Command("figure", "Draw one of the paper's figures of the quadratic models (PNG, CSV data, figure.json of its numbers).")
            { number, output, json };
        command.SetAction(r =>
        {
            int n = r.GetValue(number);
            if (!PaperFigure.Captions.ContainsKey(n))
                throw new ProbesError(
                    $"no figure {n} here (known: {string.Join(", ", PaperFigure.Captions.Keys)}; Figure 4 is `probes quad phase`).");
            using var run = RunDirectory.Create(r.GetValue(output) ?? RunDirectory.DefaultPath($"figure{n}"));
            QuadRunConfig.Write(run, r);
            var figure = Draw(n, run.Path);
            File.WriteAllText(run.File("figure.json"), JsonSerializer.Serialize(figure, ReportJson.Options));
            ReportCommands.Print(r.GetValue(json), $"Figure {n}: {figure.Files.Count} files → {run.Path} ("
                + string.Join(", ", figure.Numbers.Select(p => $"{p.Key} {p.Value:G4}")) + ")", figure);
            return 0;
        });
        return command;
    }

    private static PaperFigure Draw(int n, string folder) => n switch
    {
        1 => D1P2Figures.Figure1(folder),
        2 => D1P2Figures.Figure2Left(folder),
        3 => RandomModelFigures.Figure3(folder),
        7 => D1P2Figures.Figure7(folder),
        8 => D1P2Figures.Figure8(folder),
        9 => D1P2Figures.Figure9(folder),
        _ => throw new ProbesError($"no figure {n} here."),
    };
}
