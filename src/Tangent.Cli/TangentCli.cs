using System.CommandLine;
using Tangent.Data;
using Tangent.Dynamics;
using Tangent.Numerics;

namespace Tangent.Cli;

/// <summary>
/// The `tangent` command: argument parsing and printing only; the work is in the library.
/// Errors take one form (docs/RELIABILITY.md): one line <c>error: …</c> on stderr, at most one
/// <c>hint: …</c> line, never the help text or a stack trace (unless TANGENT_DEBUG=1).
/// </summary>
public static class TangentCli
{
    /// <summary>Exit code for success.</summary>
    public const int Ok = 0;

    /// <summary>Exit code for an unexpected failure inside Tangent (a bug: please report it).</summary>
    public const int InternalError = 1;

    /// <summary>Exit code for bad usage or bad input.</summary>
    public const int BadInput = 2;

    /// <summary>Exit code of a run that was cancelled (SIGINT; the process exits 143 for SIGTERM).</summary>
    public const int Interrupted = 130;

    /// <summary>The line printed on stderr when a run is interrupted.</summary>
    public const string InterruptedMessage = "error: interrupted; nothing was written";

    /// <summary>The environment variable that, set to 1, adds the stack trace to an internal error.</summary>
    public const string DebugVariable = "TANGENT_DEBUG";

    private static readonly AsyncLocal<CancellationToken> CurrentToken = new();
    private static readonly AsyncLocal<InterruptReport?> CurrentReport = new();

    /// <summary>
    /// Says that the run in progress keeps finished work when interrupted (e.g. <c>benchmark uci</c>'s finished data sets),
    /// so that the interrupt line reads <c>error: interrupted; </c><paramref name="kept"/> instead of "nothing was written".
    /// </summary>
    internal static void KeepsOnInterrupt(string kept)
    {
        if (CurrentReport.Value is { } report) report.Kept = kept;
    }

    /// <summary>The cancellation token of the run in progress (commands pass it to long computations).</summary>
    internal static CancellationToken Cancellation => CurrentToken.Value;

    /// <summary>Runs the command line and returns the exit code.</summary>
    /// <param name="args">The arguments after "tangent".</param>
    /// <param name="output">Standard output (default: the console).</param>
    /// <param name="error">Standard error (default: the console).</param>
    /// <param name="cancellationToken">Cancels the run: the command stops, deletes what it staged, prints
    /// <see cref="InterruptedMessage"/> and returns <see cref="Interrupted"/>.</param>
    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken cancellationToken = default) =>
        Run(args, output, error, cancellationToken, new InterruptReport());

    internal static int Run(string[] args, TextWriter? output, TextWriter? error, CancellationToken cancellationToken, InterruptReport report)
    {
        ArgumentNullException.ThrowIfNull(args);
        output ??= Console.Out;
        error ??= Console.Error;
        var previous = CurrentToken.Value;
        var previousReport = CurrentReport.Value;
        CurrentToken.Value = cancellationToken;
        CurrentReport.Value = report;
        try
        {
            var root = Build(output);
            var parse = root.Parse(args);
            if (parse.Errors.Count > 0)
                return ReportError(error, ParseErrors.Describe(parse));
            var config = new InvocationConfiguration
            {
                Output = output,
                Error = error,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,   // signals are ours (Interrupts)
            };
            cancellationToken.ThrowIfCancellationRequested();
            return parse.Invoke(config);
        }
        catch (Exception e) when (IsCancellation(e) && (cancellationToken.IsCancellationRequested || TemporaryFiles.Process.IsShutDown))
        {
            report.Write(error);
            return Interrupted;
        }
        catch (Exception e)
        {
            return ReportError(error, e);
        }
        finally
        {
            CurrentToken.Value = previous;
            CurrentReport.Value = previousReport;
        }
    }

    /// <summary>Prints an exception in the error form and returns its exit code: 2 for bad usage, input or memory, 1 for anything unexpected.</summary>
    internal static int ReportError(TextWriter error, Exception e)
    {
        switch (e)
        {
            case CliError ce:
                error.WriteLine($"error: {ce.Message}");
                if (ce.Hint is { } hint) error.WriteLine($"hint: {hint}");
                return BadInput;
            case UnstableLearningRateException u:
                error.WriteLine($"error: --learning-rate {u.LearningRate:G6} is at or above the stable bound {u.BoundFormula} = {u.Bound:G6}; gradient descent would diverge. Use --learning-rate below {u.Bound:G6} (e.g. {u.Bound / 2:G3}).");
                error.WriteLine(u.Bound < 1e-2
                    ? "hint: a bound this far below 1 usually means unscaled inputs: standardize the features (--standardize, or rescale the files); --force runs anyway."
                    : "hint: --force runs anyway (the continuous-time formulas still hold; discrete steps diverge).");
                return BadInput;
            case InsufficientMemoryException:
                error.WriteLine($"error: {Message(e)}");
                error.WriteLine("hint: on the command line: fewer samples (--limit, --test-limit, smaller files), one kernel (--get nngp or ntk), --memory-budget for convolutional kernels.");
                return BadInput;
            case NotPositiveDefiniteException npd:
                error.WriteLine($"error: {Message(e)}");
                error.WriteLine($"hint: add a ridge, e.g. --ridge {npd.SuggestedRidge:G3} (or --ridge 1e-6 --ridge-relative).");
                return BadInput;
            case OutOfMemoryException:
                error.WriteLine("error: out of memory: the inputs or outputs of this command do not fit in the memory this process can use.");
                error.WriteLine("hint: use fewer samples (--limit, smaller files), --dtype float32 for kernel outputs, a smaller --memory-budget for convolutional kernels, or a machine with more memory.");
                return BadInput;
            case ArgumentException or FormatException or IOException or InvalidDataException or UnauthorizedAccessException
                or InvalidOperationException or NotPositiveDefiniteException or NotSupportedException:
                error.WriteLine($"error: {Message(e)}");
                return BadInput;
            default:
                error.WriteLine($"error: internal error: {e.GetType().Name}: {Message(e)} (please report this)");
                if (Environment.GetEnvironmentVariable(DebugVariable) == "1") error.WriteLine(e.ToString());
                return InternalError;
        }
    }

    /// <summary>
    /// An exception's message as one line: the first line only ("Actual value was …" of an
    /// ArgumentOutOfRangeException and the caret lines of a spec error go), without " (Parameter 'x')".
    /// </summary>
    internal static string Message(Exception e)
    {
        string message = e.Message;
        if (e is ArgumentException { ParamName: { } name })
            message = message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal);
        // The library names its settings, the command line names its flags.
        message = message.Replace("header option yes", "--header yes", StringComparison.Ordinal)
            .Replace("the header option is right", "--header is right", StringComparison.Ordinal);
        return ParseErrors.OneLine(message);
    }

    private static bool IsCancellation(Exception e) =>
        e is OperationCanceledException || e is AggregateException a && a.Flatten().InnerExceptions.All(i => i is OperationCanceledException);

    /// <summary>Prints <see cref="InterruptedMessage"/> (or what <see cref="Kept"/> says was kept) at most once per process,
    /// whichever thread gets there first.</summary>
    internal sealed class InterruptReport
    {
        private int _written;

        /// <summary>What an interrupted run keeps, in words; null: nothing (the usual case).</summary>
        public string? Kept { get; set; }

        /// <summary>The line this report prints.</summary>
        public string Message => Kept is null ? InterruptedMessage : "error: interrupted; " + Kept;

        public void Write(TextWriter error)
        {
            if (Interlocked.Exchange(ref _written, 1) != 0) return;
            try
            {
                error.WriteLine(Message);
                error.Flush();
            }
            catch (IOException) { }           // the terminal is gone (SIGHUP)
            catch (ObjectDisposedException) { }
        }
    }

    private static Command Build(TextWriter output)
    {
        // Named "tangent" whatever the executable (a RootCommand takes the process's name: Tangent.Cli, testhost), so Usage: shows the command users type.
        var root = new Command("tangent", "Tangent: neural networks as kernel machines (NNGP/NTK kernels, kernel regression, infinite ensembles).") { new System.CommandLine.Help.HelpOption(), new VersionOption() };
        root.Subcommands.Add(InfoCommand.Create(output));
        root.Subcommands.Add(DatasetCommand.Create(output));
        root.Subcommands.Add(FitCommand.Create(output));
        root.Subcommands.Add(ClassifyCommand.Create(output));
        root.Subcommands.Add(KernelCommand.Create(output));
        root.Subcommands.Add(StoreCommand.Create(output));
        root.Subcommands.Add(ServeCommand.Create(output));
        root.Subcommands.Add(RegressCommand.Create(output));
        root.Subcommands.Add(PredictCommand.Create(output));
        root.Subcommands.Add(CompleteCommand.Create(output));
        root.Subcommands.Add(DemoCommand.Create(output));
        root.Subcommands.Add(ExperimentCommand.Create(output));
        root.Subcommands.Add(CriticalityCommand.Create(output));
        root.Subcommands.Add(BenchCommand.Create(output));
        root.Subcommands.Add(BenchmarkCommand.Create(output));
        return root;
    }
}
