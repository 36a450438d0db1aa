using System.CommandLine;
using System.CommandLine.Parsing;

namespace Tangent.Cli;

/// <summary>A usage or input error with its one-line message and at most one hint line (docs/RELIABILITY.md).</summary>
internal sealed class CliError(string message, string? hint = null) : Exception(message)
{
    /// <summary>The second line, printed as <c>hint: …</c>, or null.</summary>
    public string? Hint { get; } = hint;
}

/// <summary>
/// Turns System.CommandLine's parse errors into Tangent's error form: one line naming the option (or
/// command), the value and what is valid, then at most one hint — never the help text.
/// </summary>
internal static class ParseErrors
{
    /// <summary>The message and hint for the first problem of a parse result that has errors.</summary>
    public static CliError Describe(ParseResult parse)
    {
        var commandResult = parse.CommandResult;
        var command = commandResult.Command;
        string path = CommandPath(commandResult);

        if (parse.UnmatchedTokens.Count > 0)
        {
            string token = parse.UnmatchedTokens[0];
            if (token.Length > 1 && token[0] == '-' && !double.TryParse(token, System.Globalization.CultureInfo.InvariantCulture, out _))
            {
                string? near = Nearest(token, OptionNames(commandResult));
                return new CliError($"unknown option '{token}' for '{path}'.",
                    near is not null ? $"did you mean {near}? ('{path} --help' lists the options)" : $"'{path} --help' lists the options.");
            }
            if (command.Subcommands.Count > 0)
            {
                var names = command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).ToList();
                string? near = Nearest(token, names);
                return new CliError($"unknown command '{token}' for '{path}'.",
                    near is not null ? $"did you mean '{path} {near}'?" : $"the commands are {string.Join(", ", names)}.");
            }
            int at = parse.Tokens.ToList().FindIndex(t => t.Value == token && t.Type != TokenType.Option);
            if (at > 0 && commandResult.Command.Options.FirstOrDefault(o => o.Name == parse.Tokens[at - 1].Value || o.Aliases.Contains(parse.Tokens[at - 1].Value)) is { } before
                && (before.ValueType == typeof(bool) || before.ValueType == typeof(bool?)))
                return new CliError($"{before.Name}: '{token}' is not true or false.", $"{before.Name} is a switch: give it alone to turn it on.");
            return new CliError($"unexpected argument '{token}' for '{path}'.",
                "every value follows its option (e.g. --ridge 0.1); quote a value that holds spaces, and give lists comma-separated (--time 1,10,inf).");
        }

        // Values that were given but are wrong come first, then options given without a value, then missing options.
        var optionErrors = parse.Errors
            .Select(e => (Error: e, Result: e.SymbolResult as OptionResult ?? (e.SymbolResult as ArgumentResult)?.Parent as OptionResult))
            .Where(v => v.Result is { Implicit: false, IdentifierToken: not null })
            .ToList();
        foreach (var (error, optionResult) in optionErrors)
        {
            var option = optionResult!.Option;
            if (optionResult.Tokens.Count == 0) continue;
            if (option.ValueType == typeof(bool) || option.ValueType == typeof(bool?))
                return new CliError($"{option.Name}: '{optionResult.Tokens[0].Value}' is not true or false.", $"{option.Name} is a switch: give it alone to turn it on.");
            if (error.Message.StartsWith(option.Name, StringComparison.Ordinal))
                return new CliError(OneLine(error.Message));   // our own messages (CliOptions) name the option first: already in the final form
            var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
            string expected = type == typeof(int) || type == typeof(long) ? "a whole number"
                : type == typeof(double) || type == typeof(float) ? "a number"
                : "a valid value";
            return new CliError($"{option.Name}: '{optionResult.Tokens[0].Value}' is not {expected}.", option.Description);
        }
        foreach (var (_, optionResult) in optionErrors)
            return new CliError($"{optionResult!.Option.Name} needs a value.", optionResult.Option.Description);

        foreach (var option in command.Options)
            if (option.Required && parse.GetResult(option) is not OptionResult { IdentifierToken: not null })
                return new CliError($"{option.Name} is required for '{path}'.", option.Description);

        if (command.Subcommands.Count > 0 && command.Action is null)
        {
            var names = command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name);
            return new CliError($"'{path}' needs a command: {string.Join(", ", names)}.", $"'{path} --help' describes them.");
        }

        return new CliError(OneLine(parse.Errors[0].Message), $"'{path} --help' lists the options.");
    }

    /// <summary>"tangent experiment width".</summary>
    public static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is not null; r = r.Parent)
            if (r is CommandResult c) names.Add(c.Command is RootCommand ? "tangent" : c.Command.Name);
        names.Reverse();
        return string.Join(' ', names);
    }

    /// <summary>The first line of a message.</summary>
    public static string OneLine(string message)
    {
        int nl = message.IndexOfAny(['\r', '\n']);
        return (nl < 0 ? message : message[..nl]).Trim();
    }

    private static List<string> OptionNames(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is not null; r = r.Parent)
            if (r is CommandResult c)
                foreach (var o in c.Command.Options)
                    if (ReferenceEquals(r, result) || o.Recursive)
                        names.AddRange(o.Aliases.Prepend(o.Name).Where(n => n.StartsWith("--", StringComparison.Ordinal)));
        return names;
    }

    /// <summary>The candidate closest to <paramref name="typed"/>: a prefix of it, or within a third of its length in edits.</summary>
    internal static string? Nearest(string typed, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string c in candidates.Distinct())
        {
            int d = string.Equals(typed, c, StringComparison.OrdinalIgnoreCase) ? 0
                : c.StartsWith(typed, StringComparison.OrdinalIgnoreCase) && typed.TrimStart('-').Length >= 2 ? 1
                : Diagnostics.Spelling.Distance(typed.ToLowerInvariant(), c.ToLowerInvariant());
            if (d < bestDistance) { best = c; bestDistance = d; }
        }
        return best is not null && bestDistance <= Math.Max(2, typed.TrimStart('-').Length / 3) ? best : null;
    }
}
