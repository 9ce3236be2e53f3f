namespace Training;

/// <summary>
/// A problem the user can fix (bad input, missing data, a refused run directory). The program prints its
/// message as one line and exits with <see cref="ExitCode"/>; no stack trace.
/// </summary>
internal sealed class ProbesError(string message, int exitCode = ExitCodes.BadInput) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

