namespace Training;

/// <summary>The program's exit codes, documented in the README.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int BadInput = 2;
    public const int Diverged = 3;
    public const int WriteFailed = 4;
    public const int Interrupted = 130;
}
