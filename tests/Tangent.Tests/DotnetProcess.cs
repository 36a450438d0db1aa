using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Tangent.Tests;

/// <summary>The repository root, and <c>dotnet</c> commands run with a timeout, for the tests that build and run code
/// (the documentation snippets, the examples).</summary>
internal static class DotnetProcess
{
    /// <summary>What a <c>dotnet</c> command did: exit code (−1 when it timed out), standard output and error.</summary>
    public sealed record Result(int ExitCode, string Out, string Err, bool TimedOut);

    /// <summary>The folder above the test binaries that holds Tangent.sln.</summary>
    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Tangent.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException($"No Tangent.sln above {AppContext.BaseDirectory}; run the tests from the repository.");
    }

    /// <summary>True when <c>dotnet --version</c> runs.</summary>
    public static bool IsOnPath()
    {
        try
        {
            return Run(Path.GetTempPath(), TimeSpan.FromMinutes(1), "--version").ExitCode == 0;
        }
        catch (Win32Exception)
        {
            return false;
        }
    }

    /// <summary>
    /// Runs <c>dotnet args…</c> in <paramref name="workingDirectory"/>; kills the process tree if it outlives the
    /// timeout. MSBuild nodes and the compiler server are not kept alive after a build (no process outlives the test).
    /// </summary>
    public static Result Run(string workingDirectory, TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        psi.Environment["UseSharedCompilation"] = "false";
        var o = new StringBuilder();
        var e = new StringBuilder();
        using var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, d) => { if (d.Data is not null) lock (o) o.Append(d.Data).Append('\n'); };
        p.ErrorDataReceived += (_, d) => { if (d.Data is not null) lock (e) e.Append(d.Data).Append('\n'); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        bool timedOut = !p.WaitForExit(timeout);
        if (timedOut)
        {
            try { p.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { }
        }
        p.WaitForExit();
        lock (o) lock (e) return new Result(timedOut ? -1 : p.ExitCode, o.ToString(), e.ToString(), timedOut);
    }
}
