namespace Tangent.Tests.Reliability;

/// <summary>What a case demands of the exit code.</summary>
internal enum Expect
{
    /// <summary>Exit 0 with finite, sane outputs, or exit 2 with a one-line error: both are fine.</summary>
    Either,
    /// <summary>The input or option is invalid: exit 2 with a one-line error is the only right answer.</summary>
    Refuse,
    /// <summary>A valid input (a positive control): exit 0 with the declared outputs.</summary>
    Succeed,
}

/// <summary>An output the case names: a matrix file (.npy/.csv) or a report folder; its shape when the case knows it.</summary>
/// <param name="Name">Path relative to the sandbox's work folder.</param>
/// <param name="Rows">Expected rows, or null when the case cannot know.</param>
/// <param name="Cols">Expected columns, or null.</param>
/// <param name="IsDirectory">A report folder (must hold README.md on success).</param>
internal sealed record OutputSpec(string Name, int? Rows = null, int? Cols = null, bool IsDirectory = false);

/// <summary>
/// One run of the command line against planted inputs. Arguments use <c>{D}</c> for the absolute
/// path of the sandbox's work folder (which is also the working directory of an out-of-process run).
/// </summary>
internal sealed class CliCase
{
    /// <summary>Category and a short label, e.g. "csv/ragged".</summary>
    public required string Name { get; init; }

    /// <summary>The arguments, <c>{D}</c> standing for the work folder.</summary>
    public required string[] Args { get; init; }

    /// <summary>Input files written into the work folder before the run (name → bytes).</summary>
    public Dictionary<string, byte[]> Inputs { get; init; } = [];

    /// <summary>Describes the inputs for the reproduction line.</summary>
    public string About { get; init; } = "";

    /// <summary>The demanded outcome.</summary>
    public Expect Expect { get; init; } = Expect.Either;

    /// <summary>Why the outcome is demanded (printed with a mismatch).</summary>
    public string Why { get; init; } = "";

    /// <summary>Outputs that must exist (and be finite, of the declared shape) on exit 0.</summary>
    public OutputSpec[] Outputs { get; init; } = [];

    /// <summary>On exit 2 the first stderr line must contain one alternative of each group (case-insensitive).</summary>
    public string[][] MustMention { get; init; } = [];

    /// <summary>On exit 0, exactly this many new files (counted recursively) must appear, when set.</summary>
    public int? NewFileCount { get; init; }

    /// <summary>An extra check of stdout on exit 0; returns a problem or null.</summary>
    public Func<string, string?>? CheckStdout { get; init; }

    /// <summary>Run as a child process (cases that may crash, hang, allocate without bound or resolve paths against the working directory).</summary>
    public bool OutOfProcess { get; init; }

    /// <summary>Seconds before the run counts as hung (and a child is killed).</summary>
    public int TimeoutSeconds { get; init; } = 60;

    /// <summary>Child only: the GC heap limit in bytes (0: none), so that an unchecked allocation fails instead of taking the machine's memory.</summary>
    public long HeapLimitBytes { get; init; } = 1L << 30;

    /// <summary>Files written by the test into the work folder before the run that the case may overwrite (relative names).</summary>
    public string[] MayModify { get; init; } = [];

    /// <summary>The command line as a user would type it, with the work folder shown as DIR.</summary>
    public string CommandLine => "tangent " + string.Join(' ', Args.Select(a => Quote(a.Replace("{D}", "DIR", StringComparison.Ordinal))));

    private static string Quote(string a) => a.Length == 0 || a.Any(c => char.IsWhiteSpace(c) || c is '{' or '}' or '(' or ')' or '|' or ';' or '*')
        ? "'" + (a.Length > 120 ? a[..60] + $"…[{a.Length} chars]…" + a[^20..] : a) + "'"
        : a;

    public override string ToString() => $"{Name}: {CommandLine}" + (About.Length > 0 ? $" [inputs: {About}]" : "");
}
