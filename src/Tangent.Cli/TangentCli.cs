using System.CommandLine;
using Tangent.Numerics;

namespace Tangent.Cli;

/// <summary>The `tangent` command: argument parsing and printing only; the work is in the library.</summary>
public static class TangentCli
{
    /// <summary>Exit code for success.</summary>
    public const int Ok = 0;

    /// <summary>Exit code for bad usage or bad input.</summary>
    public const int BadInput = 2;

    /// <summary>Runs the command line and returns the exit code.</summary>
    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        var root = Build(output, error);
        var parse = root.Parse(args);
        var config = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        try
        {
            int rc = parse.Invoke(config);
            return rc == 1 && parse.Errors.Count > 0 ? BadInput : rc;
        }
        catch (Exception e) when (IsUserError(e))
        {
            string message = e is ArgumentException { ParamName: { } name } ae
                ? ae.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal)
                : e.Message;
            error.WriteLine($"error: {message}");
            return BadInput;
        }
    }

    private static bool IsUserError(Exception e) =>
        e is ArgumentException or FormatException or IOException or InvalidDataException or UnauthorizedAccessException
            or InvalidOperationException or NotPositiveDefiniteException or NotSupportedException or InsufficientMemoryException;

    private static RootCommand Build(TextWriter output, TextWriter error)
    {
        var root = new RootCommand("Tangent: neural networks as kernel machines (NNGP/NTK kernels, kernel regression, infinite ensembles).");
        root.Subcommands.Add(InfoCommand.Create(output));
        root.Subcommands.Add(KernelCommand.Create(output));
        root.Subcommands.Add(RegressCommand.Create(output));
        root.Subcommands.Add(PredictCommand.Create(output));
        root.Subcommands.Add(DemoCommand.Create(output));
        root.Subcommands.Add(ExperimentCommand.Create(output));
        root.Subcommands.Add(CriticalityCommand.Create(output));
        root.Subcommands.Add(BenchCommand.Create(output));
        return root;
    }
}
