namespace Tangent.Data;

/// <summary>
/// A data file could not be read: it is missing, empty, malformed, or its shape does not fit.
/// The message names the file, the 1-based row and column where known, what was expected, what
/// was found, and how to fix it.
/// </summary>
/// <remarks>
/// Derives from <see cref="IOException"/> (<see cref="InvalidDataException"/> is sealed), so callers
/// such as the CLI that treat I/O errors as bad user input report it as such.
/// </remarks>
public sealed class DataFormatException : IOException
{
    /// <summary>The file (or source name) being read, when known.</summary>
    public string? FilePath { get; }

    /// <summary>The 1-based row (line for text files, record for binary files), when known.</summary>
    public int? Row { get; }

    /// <summary>The 1-based column, when known.</summary>
    public int? Column { get; }

    /// <summary>Creates an exception whose message is prefixed with the location.</summary>
    /// <param name="filePath">The file being read (or null).</param>
    /// <param name="row">The 1-based row (or null).</param>
    /// <param name="column">The 1-based column (or null).</param>
    /// <param name="problem">What is wrong and how to fix it.</param>
    /// <param name="inner">The underlying exception, if any.</param>
    public DataFormatException(string? filePath, int? row, int? column, string problem, Exception? inner = null)
        : base(Format(filePath, row, column, problem), inner)
    {
        FilePath = filePath;
        Row = row;
        Column = column;
    }

    /// <summary>Creates an exception about a whole file.</summary>
    /// <param name="filePath">The file being read (or null).</param>
    /// <param name="problem">What is wrong and how to fix it.</param>
    public DataFormatException(string? filePath, string problem) : this(filePath, null, null, problem) { }

    private static string Format(string? filePath, int? row, int? column, string problem)
    {
        var where = new List<string>(3);
        if (filePath is not null) where.Add($"'{filePath}'");
        if (row is not null) where.Add($"row {row}");
        if (column is not null) where.Add($"column {column}");
        return where.Count == 0 ? problem : $"{string.Join(", ", where)}: {problem}";
    }
}
