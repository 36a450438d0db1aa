using System.CommandLine;
using Tangent.Numerics;

namespace Tangent.Cli;

/// <summary>Options shared by several commands.</summary>
internal static class CommonOptions
{
    public static Option<string?> Provider() => new("--provider")
    {
        Description = "Linear-algebra provider: managed, native or auto (default: $TANGENT_PROVIDER, else auto).",
    };

    public static void ApplyProvider(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return;
        ProviderKind kind;
        try { kind = LinearAlgebra.ParseKind(value); }
        catch (ArgumentException) { throw new CliError($"--provider: unknown provider '{value}'; use managed, native or auto."); }
        LinearAlgebra.Use(kind);
    }

    /// <summary>The command line as a user would type it again: "tangent" and every token, quoted for a POSIX shell where needed.</summary>
    public static string CommandLine(ParseResult r) =>
        "tangent " + string.Join(' ', r.Tokens.Select(t => ShellQuote(t.Value)));

    private static string ShellQuote(string s) =>
        s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "-_.,/=:+@%".Contains(c)) ? s : "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
