using System.Runtime.InteropServices;

namespace Tangent.Tests.Cli;

/// <summary>What the tests that run the built CLI in a child process share: where the CLI is, and kill(2).</summary>
internal static partial class ChildProcess
{
    /// <summary>The built CLI: src/Tangent.Cli/bin/Release/net10.0/Tangent.Cli.dll, else the copy next to the tests.</summary>
    public static string? CliDll()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string candidate = Path.Combine(d.FullName, "src", "Tangent.Cli", "bin", "Release", "net10.0", "Tangent.Cli.dll");
            if (File.Exists(candidate)) return candidate;
        }
        string local = Path.Combine(AppContext.BaseDirectory, "Tangent.Cli.dll");
        return File.Exists(local) ? local : null;
    }

    /// <summary>Sends <paramref name="signal"/> to process <paramref name="pid"/> (Linux; 0 on success).</summary>
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);
}
