using System.Globalization;

namespace Training.Cli;

/// <summary>Comma-separated option values: "0.25,0.5,1" and "10:20,20:40".</summary>
internal static class ListArguments
{
    /// <summary>"a,b,c" into positive finite numbers.</summary>
    public static double[] Numbers(string text, string name)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var values = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture,
                out values[i]) || !(values[i] > 0) || !double.IsFinite(values[i]))
                throw new ProbesError($"{name} '{text}': '{parts[i]}' is not a positive number.");
        return parts.Length > 0 ? values : throw new ProbesError($"{name} is empty.");
    }

    /// <summary>"D:P,D:P" into positive integer pairs.</summary>
    public static List<(int D, int P)> Sizes(string text)
    {
        var sizes = new List<(int, int)>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var dp = part.Split(':');
            if (dp.Length != 2 || !int.TryParse(dp[0], out int d) || !int.TryParse(dp[1], out int p) || d < 1 || p < 1)
                throw new ProbesError($"--sizes '{text}': '{part}' is not D:P with positive integers.");
            sizes.Add((d, p));
        }
        return sizes.Count > 0 ? sizes : throw new ProbesError("--sizes is empty.");
    }
}
