using System.Runtime.InteropServices;

namespace Training.Sweeps;

/// <summary>SIGTERM to another process: .NET's Process.Kill sends only SIGKILL, which leaves no checkpoint.</summary>
internal static class Signals
{
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    public static bool Terminate(int pid) => Kill(pid, 15) == 0;
}
