namespace Probes.Probing;

/// <summary>
/// The probes' state between steps (see <see cref="ProbeSuite.Export"/>), with an exact binary form:
/// float64 values are stored bit for bit, so a restored suite continues exactly where it stopped.
/// </summary>
public sealed record ProbeState(IReadOnlyDictionary<string, double[][]> Vectors, double? LastSharpness)
{
    private const int Magic = 0x50524253;   // "PRBS"

    public void Write(Stream stream)
    {
        using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        w.Write(LastSharpness.HasValue);
        w.Write(LastSharpness ?? 0);
        w.Write(Vectors.Count);
        foreach (var (name, vectors) in Vectors)
        {
            w.Write(name);
            w.Write(vectors.Length);
            foreach (var v in vectors)
            {
                w.Write(v.Length);
                foreach (var x in v) w.Write(x);
            }
        }
    }

    public static ProbeState Read(Stream stream)
    {
        using var r = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        if (r.ReadInt32() != Magic) throw new InvalidDataException("not a probe-state file.");
        bool has = r.ReadBoolean();
        double last = r.ReadDouble();
        int count = r.ReadInt32();
        var vectors = new Dictionary<string, double[][]>();
        for (int i = 0; i < count; i++)
        {
            string name = r.ReadString();
            var list = new double[r.ReadInt32()][];
            for (int j = 0; j < list.Length; j++)
            {
                list[j] = new double[r.ReadInt32()];
                for (int k = 0; k < list[j].Length; k++) list[j][k] = r.ReadDouble();
            }
            vectors[name] = list;
        }
        return new ProbeState(vectors, has ? last : null);
    }
}
