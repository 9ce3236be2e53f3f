using System.Text.Json;

namespace Training.Runs;

/// <summary>
/// A run's folder: config.json, log.clef, log.txt, train.csv, probes.csv, spectra.csv and the checkpoint.
/// An existing folder is refused (results are never overwritten), and a lock file held open for the
/// run's life refuses a second process.
/// </summary>
internal sealed class RunDirectory : IDisposable
{
    private FileStream? _lock;

    private RunDirectory(string path) => Path = path;

    public string Path { get; }
    public string File(string name) => System.IO.Path.Combine(Path, name);

    public static string DefaultPath(string name) =>
        System.IO.Path.Combine("runs", $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{name}");

    /// <summary>Creates a new run folder; refuses one that already exists and is not empty.</summary>
    public static RunDirectory Create(string path)
    {
        if (System.IO.File.Exists(path))
            throw new ProbesError($"run directory {path} is a file.");
        if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any())
            throw new ProbesError($"run directory {path} already exists; choose another --out (results are never overwritten).");
        try { Directory.CreateDirectory(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ProbesError($"cannot create run directory {path}: {e.Message}");
        }
        var run = new RunDirectory(path);
        run.Lock();
        return run;
    }

    /// <summary>Opens an existing run folder to resume it, taking its lock.</summary>
    public static RunDirectory Open(string path)
    {
        if (!Directory.Exists(path)) throw new ProbesError($"{path}: no such run directory.");
        if (!System.IO.File.Exists(System.IO.Path.Combine(path, ConfigFile.Name)))
            throw new ProbesError($"{path}: no config.json there, so it is not a run directory.");
        var run = new RunDirectory(path);
        run.Lock();
        return run;
    }

    /// <summary>An existing run folder to read (export, report), without its lock: the run may still be going.</summary>
    public static RunDirectory ForReading(string path)
    {
        if (!Directory.Exists(path)) throw new ProbesError($"{path}: no such run directory.");
        if (!System.IO.File.Exists(System.IO.Path.Combine(path, ConfigFile.Name)))
            throw new ProbesError($"{path}: no config.json there, so it is not a run directory.");
        return new RunDirectory(path);
    }

    private void Lock()
    {
        try
        {
            _lock = new FileStream(File("run.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            // A held lock and a read-only disk both arrive as IOException: only a directory this process can write in is in use.
            throw new ProbesError(Writable() ? $"run directory {Path} is in use by another probes process."
                : $"cannot write to run directory {Path}: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ProbesError($"cannot write to run directory {Path}: {e.Message}");
        }
    }

    private bool Writable()
    {
        var probe = File($".write-test-{Environment.ProcessId}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>Writes a JSON document atomically: temporary file, flush to disk, rename.</summary>
    public void WriteJson<T>(string name, T value, JsonSerializerOptions options) =>
        WriteAtomically(File(name), stream => JsonSerializer.Serialize(stream, value, options));

    public static void WriteAtomically(string path, Action<Stream> write)
    {
        var temporary = path + ".tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            System.IO.File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { System.IO.File.Delete(temporary); } catch (IOException) { }
            throw new ProbesError($"cannot write {path}: {e.Message} (the previous version is intact).", ExitCodes.WriteFailed);
        }
    }

    /// <summary>Frees the lock, and removes its file only if this process held it: a reader (export, report) never does.</summary>
    public void Dispose()
    {
        if (_lock is null) return;
        try { System.IO.File.Delete(File("run.lock")); } catch (IOException) { }       // while still held, so no one else's goes
        _lock.Dispose();
        _lock = null;
    }
}
