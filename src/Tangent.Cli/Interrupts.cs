using System.Runtime.InteropServices;
using Tangent.Data;

namespace Tangent.Cli;

/// <summary>
/// SIGINT, SIGTERM, SIGHUP and SIGQUIT for the <c>tangent</c> process (docs/RELIABILITY.md): the first
/// signal cancels the work (the token that <see cref="TangentCli.Run(string[], TextWriter?, TextWriter?, CancellationToken)"/>
/// passes to long computations); if the command has not unwound after <see cref="Grace"/> (it is inside
/// a computation that takes no token) or a second signal comes, every registered temporary file is
/// deleted (<see cref="TemporaryFiles.Shutdown"/>, which waits for a commit in progress) and the process
/// exits. Either way stderr gets one line, <c>error: interrupted; nothing was written</c>, and the exit
/// code is 128 + the signal number: 130 (SIGINT), 143 (SIGTERM), 129 (SIGHUP), 131 (SIGQUIT).
/// </summary>
internal static class Interrupts
{
    /// <summary>How long the command may take to unwind by itself before the temporary files are removed and the process exits.</summary>
    public static TimeSpan Grace { get; } = TimeSpan.FromSeconds(1);

    /// <summary>Runs the command line with the signal handlers installed and returns the process exit code.</summary>
    public static int RunProcess(string[] args)
    {
        var cts = new CancellationTokenSource();            // not disposed: a late signal may still cancel it
        var finished = new ManualResetEventSlim();
        var report = new TangentCli.InterruptReport();
        int exitCode = 0;

        void OnSignal(PosixSignalContext context, int code)
        {
            context.Cancel = true;                          // we exit ourselves, after the cleanup
            bool first = Interlocked.CompareExchange(ref exitCode, code, 0) == 0;
            if (first)
            {
                cts.Cancel();
                if (finished.Wait(Grace)) return;           // the command unwound and reported by itself
            }
            TemporaryFiles.Process.Shutdown();
            if (CliProgress.BarShown) Console.Out.Write("\u001b[?25h\n");   // the progress bar hid the cursor
            report.Write(Console.Error);
            Environment.Exit(Volatile.Read(ref exitCode));
        }

        var registrations = new List<PosixSignalRegistration>();
        foreach (var (signal, code) in new[] { (PosixSignal.SIGINT, 130), (PosixSignal.SIGTERM, 143), (PosixSignal.SIGHUP, 129), (PosixSignal.SIGQUIT, 131) })
        {
            try { registrations.Add(PosixSignalRegistration.Create(signal, c => OnSignal(c, code))); }
            catch (PlatformNotSupportedException) { }
        }
        try
        {
            int rc = TangentCli.Run(args, Console.Out, Console.Error, cts.Token, report);
            finished.Set();
            int signalled = Volatile.Read(ref exitCode);
            return rc == TangentCli.Interrupted && signalled != 0 ? signalled : rc;
        }
        finally
        {
            foreach (var r in registrations) r.Dispose();
        }
    }
}
