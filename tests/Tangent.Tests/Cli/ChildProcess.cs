using System.Diagnostics;
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

    /// <summary>
    /// Runs the CLI at <paramref name="dll"/> with <paramref name="args"/> in <paramref name="directory"/> and sends it
    /// <paramref name="signal"/> as soon as <paramref name="when"/> holds (polled every millisecond, for at most two minutes);
    /// returns whether the signal was sent (false: the run ended first) and the exit code.
    /// </summary>
    public static (bool Sent, int ExitCode) RunAndSignalWhen(string dll, IEnumerable<string> args, string directory, Func<bool> when, int signal)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = directory };
        psi.ArgumentList.Add(dll);
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var child = Process.Start(psi)!;
        _ = child.StandardOutput.ReadToEndAsync();
        _ = child.StandardError.ReadToEndAsync();
        var clock = Stopwatch.StartNew();
        bool sent = false;
        while (!child.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2))
        {
            if (when())
            {
                Assert.Equal(0, Kill(child.Id, signal));
                sent = true;
                break;
            }
            Thread.Sleep(1);
        }
        Assert.True(child.WaitForExit(60_000), $"the CLI did not exit after signal {signal}");
        return (sent, child.ExitCode);
    }

    /// <summary>Whether this process ignores <paramref name="signal"/> (the SigIgn mask of /proc/self/status), which a child inherits
    /// across exec: then the child cannot be interrupted by it, whatever it installs.</summary>
    public static bool Ignores(int signal)
    {
        string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        if (line is null) return false;
        ulong mask = Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16);
        return (mask & (1UL << (signal - 1))) != 0;
    }

    /// <summary>Sends <paramref name="signal"/> to process <paramref name="pid"/> (Linux; 0 on success).</summary>
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);
}
