using System.Globalization;

namespace Tangent.Data;

/// <summary>Whether the first line of a CSV file holds column names.</summary>
public enum CsvHeader
{
    /// <summary>
    /// Strict detection: the first line is a header only when none of its cells is a number or looks
    /// like one (starts with a digit, a sign, '.' or a Unicode minus) and at least one is a name (not
    /// empty, not a missing-value marker such as NA). Otherwise it is data, and a cell of it that is
    /// not a number is an error naming it, as in any other row: a half-numeric first line such as
    /// <c>1,NA,3</c> is never silently dropped as a header.
    /// </summary>
    Auto,
    /// <summary>The first line always holds column names, whatever it contains (the command line's "yes").</summary>
    Present,
    /// <summary>The first line is data (the command line's "no"): a cell that is not a number is an error.</summary>
    Absent,
}

/// <summary>The character that separates fields in a CSV file.</summary>
public enum CsvDelimiter
{
    /// <summary>Detect from the first line: ';' if present, else ',' if present, else tab or spaces.</summary>
    Auto,
    /// <summary>A comma.</summary>
    Comma,
    /// <summary>A semicolon.</summary>
    Semicolon,
    /// <summary>A tab (one field per tab; empty fields are errors).</summary>
    Tab,
    /// <summary>Runs of spaces and tabs (leading and trailing ones are ignored).</summary>
    Whitespace,
}

/// <summary>How to read a CSV file of numbers.</summary>
/// <remarks>
/// Numbers are parsed with the invariant culture ('.' is the decimal separator; exponents like
/// <c>1e-3</c> are allowed). Blank lines and lines whose first non-blank character is '#' are
/// skipped. Fields may be wrapped in double quotes; quoted fields cannot span lines.
/// </remarks>
public sealed record CsvReadOptions
{
    /// <summary>Whether a header line is present (default: detect).</summary>
    public CsvHeader Header { get; init; } = CsvHeader.Auto;

    /// <summary>The field separator (default: detect).</summary>
    public CsvDelimiter Delimiter { get; init; } = CsvDelimiter.Auto;

    /// <summary>
    /// Accept NaN and ±infinity (default false: a non-finite value is an error, because kernels
    /// and solvers cannot use it; impute or drop such rows first). <see cref="MatrixFile.Read"/>
    /// applies it to <c>.npy</c> files too.
    /// </summary>
    public bool AllowNonFinite { get; init; }

    /// <summary>The default options.</summary>
    public static CsvReadOptions Default { get; } = new();
}

/// <summary>
/// Picks a column of a table by name or by 0-based index (negative indices count from the end:
/// -1 is the last column).
/// </summary>
public readonly record struct ColumnSelector
{
    /// <summary>The column name, or null when selecting by index.</summary>
    public string? Name { get; }

    /// <summary>The 0-based index (negative: from the end), used when <see cref="Name"/> is null.</summary>
    public int Index { get; }

    private ColumnSelector(string? name, int index)
    {
        Name = name;
        Index = index;
    }

    /// <summary>Selects the column with this header name (exact, case-sensitive match first, then case-insensitive).</summary>
    public static ColumnSelector ByName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new ColumnSelector(name, 0);
    }

    /// <summary>Selects the column at this 0-based index (negative: from the end).</summary>
    public static ColumnSelector ByIndex(int index) => new(null, index);

    /// <summary>
    /// Parses text from a command line: an integer is an index unless the header has a column
    /// with exactly that name (see <see cref="CsvTable.ResolveColumn"/>); anything else is a name.
    /// </summary>
    public static ColumnSelector Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        return new ColumnSelector(text.Trim(), 0);
    }

    /// <summary>Selects by name.</summary>
    public static implicit operator ColumnSelector(string name) => ByName(name);

    /// <summary>Selects by index.</summary>
    public static implicit operator ColumnSelector(int index) => ByIndex(index);

    /// <summary>The name, or the index as text.</summary>
    public override string ToString() => Name is not null ? $"'{Name}'" : Index.ToString(CultureInfo.InvariantCulture);
}
