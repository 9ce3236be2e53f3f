namespace Training.Data;

/// <summary>
/// Records of the standard CIFAR-10 binary format: 1 label byte then 3,072 pixel bytes (1,024 red, then green,
/// then blue, each plane row-major, i.e. already CHW). Files have no header, so a file's size must be a
/// multiple of 3,073.
/// </summary>
internal sealed record CifarRecords(byte[] Labels, byte[] Pixels)
{
    public const int Channels = 3, Side = 32;
    public const int PixelsPerImage = Channels * Side * Side;
    public const int RecordSize = 1 + PixelsPerImage;
    public const int Classes = 10;

    public int Count => Labels.Length;

    public static CifarRecords Read(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ProbesError($"cannot read CIFAR-10 file {path}: {e.Message}");
        }
        if (bytes.Length == 0 || bytes.Length % RecordSize != 0)
            throw new ProbesError($"{path} has {bytes.Length:N0} bytes, not a positive multiple of the CIFAR-10 record size {RecordSize:N0}.");
        int count = bytes.Length / RecordSize;
        var labels = new byte[count];
        var pixels = new byte[(long)count * PixelsPerImage];
        for (int i = 0; i < count; i++)
        {
            byte label = bytes[(long)i * RecordSize];
            if (label >= Classes)
                throw new ProbesError($"{path}: record {i} has label byte {label}, outside 0..9.");
            labels[i] = label;
            Buffer.BlockCopy(bytes, i * RecordSize + 1, pixels, i * PixelsPerImage, PixelsPerImage);
        }
        return new CifarRecords(labels, pixels);
    }

    /// <summary>The first <paramref name="count"/> records of the parts in order, copying only those (not all 50,000).</summary>
    public static CifarRecords First(IReadOnlyList<CifarRecords> parts, int count)
    {
        var labels = new byte[count];
        var pixels = new byte[(long)count * PixelsPerImage];
        int at = 0;
        foreach (var part in parts)
        {
            int take = Math.Min(part.Count, count - at);
            if (take <= 0) break;
            Array.Copy(part.Labels, 0, labels, at, take);
            Array.Copy(part.Pixels, 0, pixels, (long)at * PixelsPerImage, (long)take * PixelsPerImage);
            at += take;
        }
        return new CifarRecords(labels, pixels);
    }
}
