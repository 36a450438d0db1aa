using Spectre.Console;

namespace Tangent.Cli;

/// <summary>A Spectre.Console console that writes to the command's output writer.</summary>
internal static class Terminal
{
    public static IAnsiConsole For(TextWriter output) => ReferenceEquals(output, Console.Out)
        ? AnsiConsole.Console
        : AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No });
}
