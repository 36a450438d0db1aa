using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Tangent.Data;

namespace Tangent.Cli;

/// <summary>The values a number option accepts: a finite number with an optional lower and upper bound.</summary>
/// <param name="Min">The lower bound (−∞: none).</param>
/// <param name="MinExclusive">True when the lower bound itself is not allowed (e.g. &gt; 0).</param>
/// <param name="Max">The upper bound (+∞: none).</param>
internal readonly record struct NumberRange(double Min, bool MinExclusive = false, double Max = double.PositiveInfinity)
{
    /// <summary>Any finite number.</summary>
    public static NumberRange Finite { get; } = new(double.NegativeInfinity);

    /// <summary>A number &gt; 0.</summary>
    public static NumberRange Positive { get; } = new(0, MinExclusive: true);

    /// <summary>A number ≥ 0.</summary>
    public static NumberRange NonNegative { get; } = new(0);

    public bool Contains(double v) =>
        double.IsFinite(v) && (MinExclusive ? v > Min : v >= Min) && v <= Max;

    /// <summary>"a number &gt; 0", "a number from 0 to 1", "a finite number".</summary>
    public string Describe()
    {
        string F(double v) => v.ToString("G", CultureInfo.InvariantCulture);
        bool low = !double.IsNegativeInfinity(Min), high = !double.IsPositiveInfinity(Max);
        if (low && high && !MinExclusive) return $"a number from {F(Min)} to {F(Max)}";
        if (low && high) return $"a number > {F(Min)} and ≤ {F(Max)}";
        if (low) return $"a number {(MinExclusive ? ">" : "≥")} {F(Min)}";
        if (high) return $"a number ≤ {F(Max)}";
        return "a finite number";
    }
}

/// <summary>
/// Builders for options whose values are checked when the command line is parsed, before any work,
/// with one uniform message per option (docs/RELIABILITY.md): <c>--steps must be a whole number ≥ 1, not -5.</c>
/// Every number option of every command is declared through these, with its range next to it.
/// </summary>
internal static class CliOptions
{
    /// <summary>A whole-number option with a default.</summary>
    public static Option<int> Int(string name, string description, int defaultValue, int min, int max = int.MaxValue) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = r => ParseInt(r, name, min, max) ?? defaultValue,
    };

    /// <summary>A whole-number option without a default (null when absent).</summary>
    public static Option<int?> OptionalInt(string name, string description, int min, int max = int.MaxValue) => new(name)
    {
        Description = description,
        CustomParser = r => ParseInt(r, name, min, max),
    };

    /// <summary>A number option with a default.</summary>
    public static Option<double> Number(string name, string description, double defaultValue, NumberRange range) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = r => ParseNumber(r, name, range) ?? defaultValue,
    };

    /// <summary>A number option without a default (null when absent).</summary>
    public static Option<double?> OptionalNumber(string name, string description, NumberRange range) => new(name)
    {
        Description = description,
        CustomParser = r => ParseNumber(r, name, range),
    };

    /// <summary>The random seed of experiments and the demo: 0 to 1 000 000 (seeds are combined arithmetically with run indices).</summary>
    public static Option<int> Seed() => Int("--seed", "Random seed, 0 to 1000000.", 0, 0, 1_000_000);

    /// <summary><c>--header yes|no|auto</c>: whether the first line of CSV inputs holds column names.</summary>
    public static Option<CsvHeader> Header() => new("--header")
    {
        Description = "Whether the first line of CSV inputs holds column names: yes, no or auto (default: auto, a header when some field is not a number).",
        DefaultValueFactory = _ => CsvHeader.Auto,
        CustomParser = r =>
        {
            if (r.Tokens.Count == 0) return CsvHeader.Auto;
            string v = r.Tokens[0].Value;
            switch (v.Trim().ToLowerInvariant())
            {
                case "yes" or "present" or "true": return CsvHeader.Present;
                case "no" or "absent" or "false": return CsvHeader.Absent;
                case "auto": return CsvHeader.Auto;
                default:
                    r.AddError($"--header must be yes, no or auto, not '{v}'.");
                    return CsvHeader.Auto;
            }
        },
    };

    /// <summary>The CSV read options of a command that has <c>--header</c>.</summary>
    public static CsvReadOptions Csv(ParseResult r, Option<CsvHeader> header) => new() { Header = r.GetValue(header) };

    /// <summary>"a whole number ≥ 1", "a whole number from 0 to 100".</summary>
    public static string DescribeWhole(int min, int max) =>
        max == int.MaxValue ? $"a whole number ≥ {min}" : $"a whole number from {min} to {max}";

    private static int? ParseInt(ArgumentResult r, string name, int min, int max)
    {
        if (r.Tokens.Count == 0) return null;
        string text = r.Tokens[0].Value;
        if (long.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out long v))
        {
            if (v >= min && v <= max) return (int)v;
            string valid = v > max && max == int.MaxValue ? $"a whole number from {min} to {max}" : DescribeWhole(min, max);
            r.AddError($"{name} must be {valid}, not {v.ToString(CultureInfo.InvariantCulture)}.");
            return null;
        }
        bool numeric = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _) || BigDigits(text);
        r.AddError(numeric
            ? $"{name} must be {DescribeWhole(min, max)}, not {text}."
            : $"{name}: '{text}' is not a whole number; give {DescribeWhole(min, max)}.");
        return null;
    }

    private static bool BigDigits(string text)
    {
        string t = text.Trim().TrimStart('-', '+');
        return t.Length > 0 && t.All(char.IsAsciiDigit);
    }

    private static double? ParseNumber(ArgumentResult r, string name, NumberRange range)
    {
        if (r.Tokens.Count == 0) return null;
        string text = r.Tokens[0].Value;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
        {
            r.AddError($"{name}: '{text}' is not a number; give {range.Describe()}.");
            return null;
        }
        if (range.Contains(v)) return v;
        r.AddError($"{name} must be {range.Describe()}, not {text.Trim()}.");
        return null;
    }

    /// <summary>
    /// Parses a memory size: a number of bytes (1e9) or with a unit KB, MB, GB or TB (binary: 1 GB = 2³⁰ bytes),
    /// at least 1 MB and at most the memory this process can use.
    /// </summary>
    /// <exception cref="ArgumentException">Not a size, too small, or more than the available memory.</exception>
    public static long ParseSize(string option, string text)
    {
        string t = text.Trim().ToUpperInvariant();
        (string Suffix, long Unit)[] units = [("TB", 1L << 40), ("GB", 1L << 30), ("MB", 1L << 20), ("KB", 1L << 10), ("B", 1)];
        long unit = 1;
        foreach (var (suffix, u) in units)
            if (t.EndsWith(suffix, StringComparison.Ordinal))
            {
                unit = u;
                t = t[..^suffix.Length].Trim();
                break;
            }
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v) || v <= 0)
            throw new ArgumentException($"{option} must be a size such as 4GB, 512MB or 1e9 (bytes), not '{text}'.");
        double bytes = v * unit;
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (bytes < 1 << 20)
            throw new ArgumentException($"{option} must be at least 1MB, not '{text}' ({bytes:G4} bytes).");
        if (available > 0 && bytes > available)
            throw new ArgumentException($"{option} {text} is more than the {Gb(available)} this process can use; give at most {Math.Floor(available / (double)(1L << 30) * 10) / 10:G}GB.");
        return (long)bytes;
    }

    /// <summary>
    /// Refuses work whose memory, computed in checked arithmetic by the caller, exceeds what this process can
    /// use (the GC's limit: physical memory or the container's), before anything is allocated.
    /// </summary>
    /// <exception cref="InsufficientMemoryException">It does not fit; the message gives the GB needed and available.</exception>
    public static void RequireMemory(long bytes, string what, string fix)
    {
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (available <= 0 || bytes <= available) return;
        throw new InsufficientMemoryException($"{what} needs {Gb(bytes)} but this process can use {Gb(available)}; {fix}");
    }

    /// <summary>Bytes as "12.3 GB" (binary gigabytes, as the size options take them).</summary>
    public static string Gb(double bytes) => $"{bytes / (1L << 30):0.0} GB";
}
