using System.Diagnostics;
using Tangent.Cli;
using Tangent.Data;

namespace Tangent.Tests.Cli;

/// <summary>Runs alone: under the parallel suite (three Orleans silos starting beside it) the CLI's signal handler, which .NET
/// dispatches on a pool thread, was twice late enough for a seconds-long write to finish first (exit 0).</summary>
[CollectionDefinition(nameof(InterruptCollection), DisableParallelization = true)]
public sealed class InterruptCollection;

/// <summary>
/// Interrupts (docs/RELIABILITY.md): a cancelled run writes nothing and says so in one line; a signal
/// during a large write leaves no temporary file behind (the built CLI in a child process).
/// </summary>
[Collection(nameof(InterruptCollection))]
public sealed partial class CliInterruptTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tangent-cli-int-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private string[] Files() => Directory.GetFileSystemEntries(_dir).Select(f => Path.GetFileName(f)).Order().ToArray();

    [Fact]
    public void ACancelledRunExits130AndWritesNothing()
    {
        MatrixFile.Write(P("x.npy"), TestData.Random(10, 2, 1));
        var (code, output, err) = CliRunner.Run(new CancellationToken(canceled: true), "kernel", "--kernel", "linear", "--x1", P("x.npy"), "--out", P("k.npy"));
        Assert.Equal(TangentCli.Interrupted, code);
        Assert.Equal(TangentCli.InterruptedMessage, CliRunner.AssertErrorForm(err, output));
        Assert.Equal(["x.npy"], Files());
    }


    [SkippableTheory]
    [InlineData(2, 130)]    // SIGINT
    [InlineData(15, 143)]   // SIGTERM
    public void ASignalDuringALargeWriteLeavesNoTemporaryFile(int signal, int expectedExit)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "sends POSIX signals through libc's kill");
        Skip.If(ChildProcess.Ignores(signal), $"signal {signal} is ignored by this test process (a background job of a non-interactive shell ignores SIGINT) and the CLI child would inherit that; run the tests in the foreground");
        string? dll = ChildProcess.CliDll();
        Skip.If(dll is null, "Tangent.Cli.dll is not built");
        // 4500² kernel entries as CSV text: about 400 MB whose writing takes seconds, long enough to interrupt even when this
        // poll is descheduled on a loaded machine (at 3000² a late poll once saw the write finish first: exit 0)
        MatrixFile.Write(P("x.npy"), TestData.Random(4500, 2, 1));
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = _dir };
        foreach (string a in new[] { dll!, "kernel", "--kernel", "linear", "--x1", P("x.npy"), "--out", P("k.csv") }) psi.ArgumentList.Add(a);
        using var child = Process.Start(psi)!;
        var stdout = child.StandardOutput.ReadToEndAsync();
        var stderr = child.StandardError.ReadToEndAsync();

        var clock = Stopwatch.StartNew();
        bool sent = false;
        while (!child.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2))
        {
            if (Directory.EnumerateFiles(_dir, ".k.csv.*.tmp").Any())
            {
                Assert.Equal(0, ChildProcess.Kill(child.Id, signal));
                sent = true;
                break;
            }
            Thread.Sleep(2);
        }
        Assert.True(child.WaitForExit(60_000), "the CLI did not exit after the signal");
        Assert.True(sent, $"the write finished before it could be interrupted (exit {child.ExitCode}); stderr: {stderr.Result}");
        Assert.Equal(expectedExit, child.ExitCode);
        var errorLines = stderr.Result.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        Assert.Equal([TangentCli.InterruptedMessage], errorLines);
        Assert.DoesNotContain("wrote", stdout.Result);
        Assert.Equal(["x.npy"], Files());   // no temporary file, no half-written or renamed output
    }
}
