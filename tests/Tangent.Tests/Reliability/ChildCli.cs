using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Tangent.Tests.Reliability;

/// <summary>
/// Runs the built command line (<c>dotnet Tangent.Cli.dll …</c>) as a child process: for cases
/// that may crash the process (stack overflow), hang, allocate without bound (run under a GC heap
/// limit) or depend on the working directory, and for the interrupt tests.
/// </summary>
internal static partial class ChildCli
{
    /// <summary>The result of a finished (or killed) child.</summary>
    public sealed record Result(int ExitCode, string Out, string Err, bool TimedOut, TimeSpan Elapsed);

    /// <summary>The CLI assembly: next to the test assembly (the project reference copies it), else the CLI's own Release output.</summary>
    public static string Dll { get; } = FindDll();

    private static string FindDll()
    {
        string here = Path.Combine(AppContext.BaseDirectory, "Tangent.Cli.dll");
        if (File.Exists(here) && File.Exists(Path.ChangeExtension(here, ".runtimeconfig.json"))) return here;
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Tangent.sln"))) dir = dir.Parent;
        string built = dir is null ? "" : Path.Combine(dir.FullName, "src", "Tangent.Cli", "bin", "Release", "net10.0", "Tangent.Cli.dll");
        if (File.Exists(built)) return built;
        throw new FileNotFoundException($"Tangent.Cli.dll is neither next to the tests ({here}) nor at {built}; build src/Tangent.Cli -c Release first.");
    }

    /// <summary>Starts the CLI with redirected output (read asynchronously into the builders).</summary>
    public static Process Start(IEnumerable<string> args, string workingDirectory, long heapLimitBytes, StringBuilder stdout, StringBuilder stderr)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment.Remove("TANGENT_PROVIDER");
        if (heapLimitBytes > 0) psi.Environment["DOTNET_GCHeapHardLimit"] = "0x" + heapLimitBytes.ToString("X");
        var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.Append(e.Data).Append('\n'); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.Append(e.Data).Append('\n'); };
        p.Start();
        p.StandardInput.Close();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    /// <summary>Runs to completion or kills the whole tree after <paramref name="timeout"/>.</summary>
    public static Result Run(IEnumerable<string> args, string workingDirectory, TimeSpan timeout, long heapLimitBytes)
    {
        var o = new StringBuilder();
        var e = new StringBuilder();
        var clock = Stopwatch.StartNew();
        using var p = Start(args, workingDirectory, heapLimitBytes, o, e);
        bool timedOut = false;
        try
        {
            if (!p.WaitForExit(timeout)) timedOut = true;
        }
        finally
        {
            Kill(p);
        }
        p.WaitForExit(); // drains the asynchronous readers
        string so, se;
        lock (o) so = o.ToString();
        lock (e) se = e.ToString();
        return new Result(timedOut ? -1 : p.ExitCode, so, se, timedOut, clock.Elapsed);
    }

    /// <summary>Kills the child and its descendants if still running.</summary>
    public static void Kill(Process p)
    {
        try
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException) { }
        catch (System.ComponentModel.Win32Exception) { }
    }

    /// <summary>SIGINT.</summary>
    public const int SigInt = 2;

    /// <summary>SIGKILL.</summary>
    public const int SigKill = 9;

    /// <summary>SIGTERM.</summary>
    public const int SigTerm = 15;

    /// <summary>Sends a POSIX signal to a process.</summary>
    public static void Signal(Process p, int signal)
    {
        if (SysKill(p.Id, signal) != 0)
            throw new InvalidOperationException($"kill({p.Id}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}.");
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SysKill(int pid, int signal);
}
