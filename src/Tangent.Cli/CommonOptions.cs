using System.CommandLine;
using Tangent.Engine;
using Tangent.Numerics;

namespace Tangent.Cli;

/// <summary>Options shared by several commands.</summary>
internal static class CommonOptions
{
    public static Option<string?> Provider() => new("--provider")
    {
        Description = "Linear-algebra provider: managed, native or auto (default: $TANGENT_PROVIDER, else auto).",
    };

    /// <summary>Sets --provider as the process default: only for commands whose work takes no <see cref="ComputeOptions"/>
    /// (info, demo, experiment, linear regression); kernel computations get it through <see cref="ComputeOptionsFrom"/>.</summary>
    public static void ApplyProvider(string? value)
    {
        if (ParseProvider(value) is { } kind) LinearAlgebra.Use(kind);
    }

    /// <summary>The provider named by --provider, or null (the process default) when not given.</summary>
    /// <exception cref="CliError">An unknown name.</exception>
    /// <exception cref="InvalidOperationException">native was asked for and OpenBLAS is missing.</exception>
    public static ILinearAlgebraProvider? ResolveProvider(string? value) => ParseProvider(value) is { } kind ? LinearAlgebra.Resolve(kind) : null;

    /// <summary>
    /// The one <see cref="ComputeOptions"/> of a command: the provider of --provider and the budget of
    /// --memory-budget (each null when not given, i.e. the process default), and the run's cancellation token.
    /// Commands add the progress sink with <c>options with { Progress = p }</c>.
    /// </summary>
    public static ComputeOptions ComputeOptionsFrom(ParseResult r, Option<string?> provider, ImageInputs? images) => new()
    {
        Provider = ResolveProvider(r.GetValue(provider)),
        MemoryBudget = images?.MemoryBudgetValue(r),
        CancellationToken = TangentCli.Cancellation,
    };

    private static ProviderKind? ParseProvider(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        try { return LinearAlgebra.ParseKind(value); }
        catch (ArgumentException) { throw new CliError($"--provider: unknown provider '{value}'; use managed, native or auto."); }
    }

    /// <summary>The command line as a user would type it again: "tangent" and every token, quoted for a POSIX shell where needed.</summary>
    public static string CommandLine(ParseResult r) =>
        "tangent " + string.Join(' ', r.Tokens.Select(t => ShellQuote(t.Value)));

    private static string ShellQuote(string s) =>
        s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "-_.,/=:+@%".Contains(c)) ? s : "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
