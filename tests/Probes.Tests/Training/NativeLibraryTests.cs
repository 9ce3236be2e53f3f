using Xunit;
using static TorchSharp.torch;

namespace Probes.Tests;

public class NativeLibraryTests
{
    [Fact]
    public void LibTorchSharpLoadsAndAMatmulRuns()
    {
        var a = tensor(new double[] { 1, 2, 3, 4 }, [2, 2]);
        var b = tensor(new double[] { 5, 6, 7, 8 }, [2, 2]);
        Assert.Equal([19.0, 22, 43, 50], a.matmul(b).data<double>().ToArray());
    }

    [Fact]
    public void TheCopiedLibraryNoLongerRequiresGlibcxx3432()
    {
        // The build marks the GLIBCXX_3.4.32 need weak (build/RelaxGlibcxx.targets); check the flag in the ELF.
        var path = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        Assert.True(File.Exists(path), $"{path} missing");
        var bytes = File.ReadAllBytes(path);
        var name = System.Text.Encoding.ASCII.GetBytes("GLIBCXX_3.4.32\0");
        int nameAt = bytes.AsSpan().IndexOf(name);
        Assert.True(nameAt > 0, "version string not found");
        // Find the verneed aux entry whose vna_name points at that string and check VER_FLG_WEAK (2).
        long shoff = BitConverter.ToInt64(bytes, 0x28);
        int size = BitConverter.ToUInt16(bytes, 0x3A), count = BitConverter.ToUInt16(bytes, 0x3C);
        bool weak = false, found = false;
        for (int s = 0; s < count; s++)
        {
            int sh = (int)(shoff + s * size);
            if (BitConverter.ToUInt32(bytes, sh + 4) != 0x6ffffffe) continue;
            long off = BitConverter.ToInt64(bytes, sh + 0x18);
            long strOff = BitConverter.ToInt64(bytes, (int)(shoff + BitConverter.ToUInt32(bytes, sh + 0x28) * size) + 0x18);
            long vn = off;
            for (int i = 0; i < BitConverter.ToUInt32(bytes, sh + 0x2C); i++)
            {
                long aux = vn + BitConverter.ToUInt32(bytes, (int)vn + 8);
                for (int j = 0; j < BitConverter.ToUInt16(bytes, (int)vn + 2); j++)
                {
                    if (strOff + BitConverter.ToUInt32(bytes, (int)aux + 8) == nameAt)
                    {
                        found = true;
                        weak = (BitConverter.ToUInt16(bytes, (int)aux + 4) & 2) != 0;
                    }
                    aux += BitConverter.ToUInt32(bytes, (int)aux + 12);
                }
                vn += BitConverter.ToUInt32(bytes, (int)vn + 12);
            }
        }
        Assert.True(found, "no version need for GLIBCXX_3.4.32");
        Assert.True(weak, "GLIBCXX_3.4.32 need is not weak");
    }
}
