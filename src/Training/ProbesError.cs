namespace Training;

/// <summary>
/// A problem the user can fix (bad input, missing data, a refused run directory). The program prints its
/// message as one line and exits with <see cref="ExitCode"/>; no stack trace.
/// </summary>
public sealed class ProbesError(string message, int exitCode = ExitCodes.BadInput) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>The program's exit codes, documented in the README.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int BadInput = 2;
    public const int Diverged = 3;
    public const int WriteFailed = 4;
    public const int Interrupted = 130;
}
