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
        if (!string.IsNullOrWhiteSpace(value)) LinearAlgebra.Use(LinearAlgebra.ParseKind(value));
    }
}
