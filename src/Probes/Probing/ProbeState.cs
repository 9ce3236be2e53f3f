namespace Probes.Probing;

/// <summary>
/// The probes' state between steps (see <see cref="ProbeSuite.Export"/>), with an exact binary form: an entry
/// whose every value is a float32 (the warm-start vectors and deflation spaces, which the suite keeps rounded
/// so) is stored in 4 bytes a value, any other (steps, z₁, eigenvalues, the schedule) in 8, so every value
/// reads back bit for bit and a restored suite continues exactly where it stopped. At the paper's scale that
/// is ~78 MB a checkpoint (67 MB before Q₁ and Q_r kept two probes for the trend start, 197 MB in float64 with four).
/// </summary>
public sealed record ProbeState(IReadOnlyDictionary<string, double[][]> Vectors, double? LastSharpness)
{
    private const int MagicFloat64 = 0x50524253;   // "PRBS": every value float64 (older files)
    private const int Magic = 0x32425250;          // "PRB2": each entry float32 where that is exact

    public void Write(Stream stream)
    {
        using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        w.Write(LastSharpness.HasValue);
        w.Write(LastSharpness ?? 0);
        w.Write(Vectors.Count);
        foreach (var (name, vectors) in Vectors)
        {
            bool single = vectors.All(v => v.All(x => (double)(float)x == x || double.IsNaN(x)));
            w.Write(name);
            w.Write(single);
            w.Write(vectors.Length);
            foreach (var v in vectors)
            {
                w.Write(v.Length);
                if (single) foreach (var x in v) w.Write((float)x);
                else foreach (var x in v) w.Write(x);
            }
        }
    }

    public static ProbeState Read(Stream stream)
    {
        using var r = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        int magic = r.ReadInt32();
        if (magic != Magic && magic != MagicFloat64) throw new InvalidDataException("not a probe-state file.");
        bool has = r.ReadBoolean();
        double last = r.ReadDouble();
        int count = r.ReadInt32();
        var vectors = new Dictionary<string, double[][]>();
        for (int i = 0; i < count; i++)
        {
            string name = r.ReadString();
            bool single = magic == Magic && r.ReadBoolean();
            var list = new double[r.ReadInt32()][];
            for (int j = 0; j < list.Length; j++)
            {
                list[j] = new double[r.ReadInt32()];
                for (int k = 0; k < list[j].Length; k++) list[j][k] = single ? r.ReadSingle() : r.ReadDouble();
            }
            vectors[name] = list;
        }
        return new ProbeState(vectors, has ? last : null);
    }
}
