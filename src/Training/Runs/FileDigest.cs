using System.Security.Cryptography;

namespace Training.Runs;

/// <summary>A file's length and SHA-256 (lower-case hex), as checkpoint.json records them.</summary>
internal sealed record FileDigest(long Bytes, string Sha256)
{
    public static FileDigest Of(string path)
    {
        using var stream = File.OpenRead(path);
        return new FileDigest(stream.Length, Convert.ToHexStringLower(SHA256.HashData(stream)));
    }
}
