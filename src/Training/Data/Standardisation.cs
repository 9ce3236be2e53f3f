namespace Training.Data;

/// <summary>
/// Per-feature mean and population standard deviation of pixels/255 over a set of images, from exact integer
/// sums (no rounding until the final division), as in Cohen et al.'s preprocessing.
/// </summary>
internal sealed record Standardisation(double[] Mean, double[] Std, int ImageCount)
{
    public static Standardisation Of(CifarRecords records) => Of([records]);

    /// <summary>Over every record of the parts, summed part by part (no concatenated copy of 150 MB of pixels).</summary>
    public static Standardisation Of(IReadOnlyList<CifarRecords> parts)
    {
        int f = CifarRecords.PixelsPerImage;
        var sum = new long[f];
        var sumSquares = new long[f];
        foreach (var records in parts)
        {
            var pixels = records.Pixels;
            for (int i = 0; i < records.Count; i++)
            {
                int row = i * f;
                for (int j = 0; j < f; j++)
                {
                    int p = pixels[row + j];
                    sum[j] += p;
                    sumSquares[j] += p * p;
                }
            }
        }
        long n = parts.Sum(p => (long)p.Count);
        var mean = new double[f];
        var std = new double[f];
        for (int j = 0; j < f; j++)
        {
            mean[j] = sum[j] / (255.0 * n);
            double variance = (n * sumSquares[j] - sum[j] * sum[j]) / ((double)n * n) / (255.0 * 255.0);
            std[j] = variance > 0 ? Math.Sqrt(variance) : 1.0;   // a constant pixel would divide by zero
        }
        return new Standardisation(mean, std, (int)n);
    }

    /// <summary>Mean of each colour channel on the 0–255 scale (the published check values).</summary>
    public double[] ChannelMeans255 => Enumerable.Range(0, 3).Select(c => Mean.Skip(c * 1024).Take(1024).Average() * 255).ToArray();

    /// <summary>Population std of each colour channel on the 0–255 scale, over all its pixels and images.</summary>
    public double[] ChannelStds255 => Enumerable.Range(0, 3).Select(c =>
    {
        var range = Enumerable.Range(c * 1024, 1024);
        double m = range.Average(j => Mean[j]);
        double second = range.Average(j => Std[j] * Std[j] + Mean[j] * Mean[j]);
        return Math.Sqrt(second - m * m) * 255;
    }).ToArray();

    /// <summary>(p/255 − mean)/std for the first <paramref name="count"/> records, row-major [count, 3072].</summary>
    public float[] Apply(CifarRecords records, int count)
    {
        int f = CifarRecords.PixelsPerImage;
        var x = new float[(long)count * f];
        for (int i = 0; i < count; i++)
            for (int j = 0; j < f; j++)
                x[i * f + j] = (float)((records.Pixels[i * f + j] / 255.0 - Mean[j]) / Std[j]);
        return x;
    }

    /// <summary>The same in float64, for float64 runs (no float32 rounding of the inputs).</summary>
    public double[] ApplyDouble(CifarRecords records, int count)
    {
        int f = CifarRecords.PixelsPerImage;
        var x = new double[(long)count * f];
        for (int i = 0; i < count; i++)
            for (int j = 0; j < f; j++)
                x[i * f + j] = (records.Pixels[i * f + j] / 255.0 - Mean[j]) / Std[j];
        return x;
    }
}
