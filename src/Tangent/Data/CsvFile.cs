using System.Buffers;
using System.Globalization;
using Tangent.Numerics;

namespace Tangent.Data;

/// <summary>
/// Reads and writes matrices as CSV text (invariant culture). Reading detects the delimiter and
/// the header; writing is atomic (<see cref="AtomicFile"/>) and keeps full precision (the
/// shortest text that parses back to the same double). Names ending in <c>.gz</c> are gzipped.
/// </summary>
public static class CsvFile
{
    /// <summary>Typographic dashes that spreadsheets write where a minus sign is meant (U+2212, U+2012–U+2014, U+FE63, U+FF0D).</summary>
    private static readonly SearchValues<char> TypographicMinus = SearchValues.Create("\u2212\u2012\u2013\u2014\uFE63\uFF0D");

    /// <summary>Reads a CSV file into a table of numbers.</summary>
    /// <param name="path">The file (<c>.gz</c>: gzipped).</param>
    /// <param name="options">Header and delimiter choices (default: detect both).</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">The file is empty, ragged, or has a cell that is not a finite number.</exception>
    public static CsvTable Read(string path, CsvReadOptions? options = null)
    {
        using var stream = DataStreams.OpenRead(path);
        using var reader = new StreamReader(stream, AtomicFile.Utf8NoBom, detectEncodingFromByteOrderMarks: true);
        return Parse(reader, path, options);
    }

    /// <summary>Reads a CSV file into a matrix (any header is dropped).</summary>
    /// <inheritdoc cref="Read" path="/param"/>
    public static Matrix ReadMatrix(string path, CsvReadOptions? options = null) => Read(path, options).Values;

    /// <summary>
    /// Reads inputs and targets from one file: Y is the <paramref name="targets"/> columns, X every other column.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="targets">The target columns, by header name or 0-based index (-1 = last).</param>
    /// <param name="options">Header and delimiter choices.</param>
    public static (Matrix X, Matrix Y) ReadXY(string path, IReadOnlyList<ColumnSelector> targets, CsvReadOptions? options = null) =>
        Read(path, options).SplitTargets(targets);

    /// <summary>Reads inputs and targets from two files and checks that their row counts agree.</summary>
    /// <exception cref="DataFormatException">The row counts differ.</exception>
    public static (Matrix X, Matrix Y) ReadXY(string xPath, string yPath, CsvReadOptions? options = null)
    {
        var x = ReadMatrix(xPath, options);
        var y = ReadMatrix(yPath, options);
        RequireSameRows(xPath, x, yPath, y);
        return (x, y);
    }

    /// <summary>Throws a <see cref="DataFormatException"/> unless X and Y have the same number of rows.</summary>
    internal static void RequireSameRows(string xPath, Matrix x, string yPath, Matrix y)
    {
        if (x.Rows != y.Rows)
            throw new DataFormatException(yPath,
                $"shape mismatch: the targets have {y.Rows} rows ({y.Shape}) but the inputs '{xPath}' have {x.Rows} rows ({x.Shape}). " +
                "X and Y need one row per sample, in the same order; check that both files come from the same data set and that neither has an extra header or footer line.");
    }

    /// <summary>Parses CSV text from a reader.</summary>
    /// <param name="reader">The text.</param>
    /// <param name="source">A name for messages (usually the path).</param>
    /// <param name="options">Header and delimiter choices.</param>
    /// <exception cref="DataFormatException">
    /// The text is empty, ragged, or has a cell that is not a finite number (in row 1 too: see
    /// <see cref="CsvHeader.Auto"/> for when row 1 is a header).
    /// </exception>
    public static CsvTable Parse(TextReader reader, string source, CsvReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        options ??= CsvReadOptions.Default;
        source ??= "<text>";
        var values = new List<double>(1024);
        int rows = 0;
        var scan = Scan(reader, source, options, (line, fields, lineNo, delim, firstRowHint) =>
        {
            for (int j = 0; j < fields.Count; j++)
                values.Add(ParseCell(line, fields[j], source, lineNo, j + 1, delim, options.AllowNonFinite, rows == 0 ? firstRowHint : null));
            rows++;
        });
        if (rows == 0)
            throw new DataFormatException(source, $"the file has a header ({scan.Cols} columns) but no data rows. Add rows of numbers, or check that the header option is right.");
        return new CsvTable(source, scan.Names, new Matrix(rows, scan.Cols, values.ToArray()));
    }

    /// <summary>The shape of a scanned file: the header's names (null without one), the column count, the delimiter and the header rule's note on row 1.</summary>
    private readonly record struct ScanResult(string[]? Names, int Cols, CsvDelimiter Delimiter, string? FirstRowHint);

    /// <summary>
    /// The one pass over CSV lines shared by <see cref="Parse"/> and <see cref="ParseCells"/>: skips blank and
    /// '#' lines, detects the delimiter and the header, checks that every row has the header's width, and
    /// hands each data row (its line, cell spans, 1-based line number, delimiter and the header rule's note) on.
    /// </summary>
    /// <exception cref="DataFormatException">A ragged row, or a file without rows.</exception>
    private static ScanResult Scan(TextReader reader, string source, CsvReadOptions options,
        Action<string, List<(int Start, int Length)>, int, CsvDelimiter, string?> row)
    {
        var fields = new List<(int Start, int Length)>();
        string[]? names = null;
        string? firstRowHint = null;
        int cols = -1, lineNo = 0, widthLine = 0;
        CsvDelimiter delim = options.Delimiter;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            var trimmed = line.AsSpan().Trim();
            if (trimmed.IsEmpty || trimmed[0] == '#') continue;
            if (delim == CsvDelimiter.Auto) delim = Detect(trimmed);
            Split(line, delim, fields, source, lineNo);
            if (cols < 0)
            {
                bool header = options.Header switch
                {
                    CsvHeader.Present => true,
                    CsvHeader.Absent => false,
                    _ => IsHeader(line, fields, out firstRowHint),
                };
                cols = fields.Count;
                widthLine = lineNo;
                if (header)
                {
                    names = fields.Select(f => Unquote(Cell(line, f).ToString())).ToArray();
                    continue;
                }
            }
            if (fields.Count != cols)
                throw new DataFormatException(source, lineNo, null,
                    $"this row has {fields.Count} values but {(names is not null ? "the header" : $"row {widthLine}")} has {cols} " +
                    $"(delimiter {Describe(delim)}). Every row needs the same number of columns: look for a missing or extra delimiter, or a value with a comma inside.");
            row(line, fields, lineNo, delim, firstRowHint);
        }
        if (cols < 0)
            throw new DataFormatException(source, "the file is empty (no data rows, only blank or '#' comment lines, if any). Give a file with one row per sample.");
        return new ScanResult(names, cols, delim, firstRowHint);

    }

    /// <summary>
    /// Reads a CSV file as text cells, without parsing numbers, so that a caller can treat some
    /// columns as labels (<see cref="LabeledTable"/>). Delimiter, header rule, comments, quoting and
    /// the ragged-row check are those of <see cref="Parse"/> (so a one-column file whose first cell is
    /// a text label is taken as a header in <c>Auto</c>: declare <c>Absent</c> for such files).
    /// </summary>
    internal static CsvCells ReadCells(string path, CsvReadOptions? options = null)
    {
        using var stream = DataStreams.OpenRead(path);
        using var reader = new StreamReader(stream, AtomicFile.Utf8NoBom, detectEncodingFromByteOrderMarks: true);
        return ParseCells(reader, path, options);
    }

    /// <summary>Parses CSV text into cells (see <see cref="ReadCells"/>).</summary>
    internal static CsvCells ParseCells(TextReader reader, string source, CsvReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        options ??= CsvReadOptions.Default;
        var rows = new List<string[]>();
        var lines = new List<int>();
        var scan = Scan(reader, source, options, (line, fields, lineNo, _, _) =>
        {
            rows.Add(fields.Select(f => Cell(line, f).Trim().ToString()).ToArray());
            lines.Add(lineNo);
        });
        if (rows.Count == 0)
            throw new DataFormatException(source, $"the file has a header ({scan.Cols} columns) but no data rows. Add rows of values, or check that the header option is right.");
        return new CsvCells(source, scan.Names, scan.Cols, rows, lines, scan.Delimiter, scan.FirstRowHint);
    }

    /// <summary>A cell's text as a label: outer quotes removed (doubled quotes unescaped), trimmed.</summary>
    internal static string LabelText(string rawCell) => Unquote(rawCell);

    /// <summary>
    /// The delimiter of a line, judged outside quoted fields (a header cell "feature 1" holds a space
    /// but is one cell): ';', else ',', else white space between cells, else a single column (read as
    /// comma-separated, so a quoted cell stays whole).
    /// </summary>
    private static CsvDelimiter Detect(ReadOnlySpan<char> line)
    {
        bool quoted = false, semicolon = false, comma = false, gap = false, seenCell = false, inGap = false;
        foreach (char c in line.Trim())
        {
            if (c == '"') { if (!quoted && inGap) gap = true; quoted = !quoted; seenCell = true; inGap = false; continue; }
            if (quoted) continue;
            if (c == ';') semicolon = true;
            else if (c == ',') comma = true;
            else if (c is ' ' or '\t') { if (seenCell) inGap = true; }
            else { if (inGap) gap = true; seenCell = true; inGap = false; }
        }
        return semicolon ? CsvDelimiter.Semicolon : comma ? CsvDelimiter.Comma : gap ? CsvDelimiter.Whitespace : CsvDelimiter.Comma;
    }

    private static string Describe(CsvDelimiter d) => d switch
    {
        CsvDelimiter.Comma => "','",
        CsvDelimiter.Semicolon => "';'",
        CsvDelimiter.Tab => "tab",
        _ => "whitespace",
    };

    private static ReadOnlySpan<char> Cell(string line, (int Start, int Length) f) => line.AsSpan(f.Start, f.Length);

    /// <summary>
    /// The strict header rule (docs/DATA.md, "Headers"): the first row is a header only when no cell
    /// is a number and no cell looks like one (starts with a digit, a sign, '.' or a Unicode minus),
    /// and at least one cell is a name (not empty, not a missing-value marker such as NA). Any other
    /// first row is data, so a bad cell in it is refused like one in row 2; <paramref name="hint"/>
    /// then says why the row was taken as data and how to declare a header.
    /// </summary>
    private static bool IsHeader(string line, List<(int Start, int Length)> fields, out string? hint)
    {
        hint = null;
        bool anyName = false;
        for (int j = 0; j < fields.Count; j++)
        {
            var cell = StripQuotes(Cell(line, fields[j]).Trim());
            if (double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            {
                hint = $" The first row is read as data, not as a header, because other cells of it are numbers (column {j + 1} is '{Shorten(cell.ToString())}'): " +
                       "fix the cell, or if the row is a header declare it explicitly (header option yes).";
                return false;
            }
            if (LooksLikeNumber(cell))
            {
                hint = $" The first row is read as data, not as a header, because its cells look like numbers (column {j + 1} is '{Shorten(cell.ToString())}'): " +
                       "fix the cell, or if the row is a header declare it explicitly (header option yes).";
                return false;
            }
            if (!cell.IsEmpty && !IsMissingMarker(cell)) anyName = true;
        }
        if (!anyName)
            hint = " The first row is read as data, not as a header, because it has no column name, only empty cells or missing-value markers: " +
                   "fill the row in, or if it is a header declare it explicitly (header option yes).";
        return anyName;
    }

    /// <summary>Not a number but number-like: starts with a digit, a sign, '.' or a dash that is meant as a minus.</summary>
    private static bool LooksLikeNumber(ReadOnlySpan<char> cell) =>
        !cell.IsEmpty && (char.IsAsciiDigit(cell[0]) || cell[0] is '+' or '-' or '.' || IsUnicodeMinus(cell[0]));

    /// <summary>Dashes that spreadsheets and word processors write for a minus sign; CSV numbers need the ASCII '-'.</summary>
    private static bool IsUnicodeMinus(char c) => c is '\u2212' or '\u2012' or '\u2013' or '\u2014' or '\uFE63' or '\uFF0D';

    /// <summary>Cells that stand for a missing value in common exports (R, pandas, spreadsheets, UCI files).</summary>
    private static bool IsMissingMarker(ReadOnlySpan<char> cell) =>
        cell.Equals("NA", StringComparison.OrdinalIgnoreCase) || cell.Equals("N/A", StringComparison.OrdinalIgnoreCase)
        || cell.Equals("#N/A", StringComparison.OrdinalIgnoreCase) || cell.Equals("NULL", StringComparison.OrdinalIgnoreCase)
        || cell.Equals("None", StringComparison.OrdinalIgnoreCase) || cell.Equals("inf", StringComparison.OrdinalIgnoreCase)
        || cell.SequenceEqual("?") || cell.SequenceEqual("-") || cell.SequenceEqual(".");

    private static string Shorten(string text) => text.Length > 40 ? text[..40] + "..." : text;

    private static ReadOnlySpan<char> StripQuotes(ReadOnlySpan<char> s) =>
        s.Length >= 2 && s[0] == '"' && s[^1] == '"' ? s[1..^1].Trim() : s;

    private static string Unquote(string s)
    {
        s = s.Trim();
        if (s.Length >= 2 && s[0] == '"' && s[^1] == '"') s = s[1..^1].Replace("\"\"", "\"");
        return s.Trim();
    }

    private static double ParseCell(string line, (int Start, int Length) f, string source, int row, int col, CsvDelimiter delim, bool allowNonFinite, string? firstRowHint) =>
        ParseNumber(Cell(line, f), source, row, col, delim, allowNonFinite, firstRowHint, null);

    /// <summary>
    /// Parses one cell (as it stands in the line, quotes included) as a number, or throws the reader's
    /// message for it; <paramref name="textHint"/>, when given, replaces the generic advice for a cell
    /// that holds text (e.g. "drop the column").
    /// </summary>
    internal static double ParseNumber(ReadOnlySpan<char> rawCell, string source, int row, int col, CsvDelimiter delim, bool allowNonFinite, string? firstRowHint, string? textHint)
    {
        var cell = StripQuotes(rawCell.Trim());
        if (double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
        {
            if (!allowNonFinite && !double.IsFinite(v))
                throw new DataFormatException(source, row, col, DataValidation.NonFiniteProblem(cell.ToString()));
            return v;
        }
        string text = cell.ToString();
        if (text.Length == 0)
            throw new DataFormatException(source, row, col, "the cell is empty (a missing value). Fill it in or drop the row." + firstRowHint);
        int dash = text.AsSpan().IndexOfAny(TypographicMinus);
        string hint = dash >= 0
            ? $" It contains the Unicode character U+{(int)text[dash]:X4} ('{text[dash]}') where a minus sign is meant: numbers need the ASCII hyphen-minus '-' (spreadsheets and word processors sometimes write a typographic minus); replace it."
            : IsMissingMarker(cell)
            ? " It is a missing-value marker: impute or drop rows with missing values first."
            : delim == CsvDelimiter.Semicolon && text.Contains(',')
            ? " It looks like a decimal comma: numbers must use '.' as the decimal separator (invariant culture)."
            : textHint ?? " Numbers use '.' as the decimal separator (invariant culture); text columns (names, categories) must be removed or encoded as numbers first.";
        throw new DataFormatException(source, row, col, $"'{Shorten(text)}' is not a number.{hint}{firstRowHint}");
    }

    private static void Split(string line, CsvDelimiter delim, List<(int, int)> fields, string source, int lineNo)
    {
        fields.Clear();
        if (delim == CsvDelimiter.Whitespace)
        {
            int i = 0;
            while (i < line.Length)
            {
                while (i < line.Length && (line[i] == ' ' || line[i] == '\t')) i++;
                if (i >= line.Length) break;
                int start = i;
                while (i < line.Length && line[i] != ' ' && line[i] != '\t') i++;
                fields.Add((start, i - start));
            }
            return;
        }
        char d = delim switch { CsvDelimiter.Comma => ',', CsvDelimiter.Semicolon => ';', _ => '\t' };
        int pos = 0;
        while (true)
        {
            int start = pos;
            int k = pos;
            while (k < line.Length && (line[k] == ' ' || line[k] == '\t') && line[k] != d) k++;
            if (k < line.Length && line[k] == '"')
            {
                k++;
                while (true)
                {
                    if (k >= line.Length)
                        throw new DataFormatException(source, lineNo, fields.Count + 1,
                            "a quoted field has no closing quote. Close the quote (quoted fields cannot span lines).");
                    if (line[k] == '"')
                    {
                        if (k + 1 < line.Length && line[k + 1] == '"') { k += 2; continue; }
                        k++;
                        break;
                    }
                    k++;
                }
            }
            int end = line.IndexOf(d, k);
            if (end < 0) end = line.Length;
            fields.Add((start, end - start));
            if (end == line.Length) break;
            pos = end + 1;
        }
    }

    /// <summary>
    /// Writes a matrix as CSV, atomically, with full round-trip precision (shortest "R" text, invariant culture).
    /// </summary>
    /// <param name="path">The destination (<c>.gz</c>: gzipped).</param>
    /// <param name="matrix">The values; NaN and infinities are written as <c>NaN</c>, <c>Infinity</c>, <c>-Infinity</c>.</param>
    /// <param name="columnNames">Optional header names, one per column.</param>
    /// <param name="delimiter">The separator (Auto means comma; Whitespace writes one space).</param>
    /// <exception cref="ArgumentException">The number of names differs from the number of columns.</exception>
    public static void Write(string path, Matrix matrix, IReadOnlyList<string>? columnNames = null, CsvDelimiter delimiter = CsvDelimiter.Comma)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        CheckNames(matrix, columnNames);
        DataStreams.WriteAtomic(path, s =>
        {
            using var w = new StreamWriter(s, AtomicFile.Utf8NoBom, 1 << 16, leaveOpen: true) { NewLine = "\n" };
            Write(w, matrix, columnNames, delimiter);
        });
    }

    /// <summary>Writes a matrix as CSV text to a writer (full precision, invariant culture).</summary>
    /// <inheritdoc cref="Write(string, Matrix, IReadOnlyList{string}?, CsvDelimiter)" path="/param[@name!='path']"/>
    public static void Write(TextWriter writer, Matrix matrix, IReadOnlyList<string>? columnNames = null, CsvDelimiter delimiter = CsvDelimiter.Comma)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(matrix);
        CheckNames(matrix, columnNames);
        char d = delimiter switch { CsvDelimiter.Semicolon => ';', CsvDelimiter.Tab => '\t', CsvDelimiter.Whitespace => ' ', _ => ',' };
        if (columnNames is not null)
            writer.WriteLine(string.Join(d, columnNames.Select(n => QuoteName(n, d))));
        Span<char> buf = stackalloc char[32];
        for (int i = 0; i < matrix.Rows; i++)
        {
            var row = matrix.Row(i);
            for (int j = 0; j < row.Length; j++)
            {
                if (j > 0) writer.Write(d);
                if (row[j].TryFormat(buf, out int n, "R", CultureInfo.InvariantCulture)) writer.Write(buf[..n]);
                else writer.Write(row[j].ToString("R", CultureInfo.InvariantCulture));
            }
            writer.WriteLine();
        }
    }

    /// <summary>
    /// Writes one column of text (e.g. predicted class labels) under a header, atomically (<c>.gz</c>:
    /// gzipped); a cell with a comma, a quote or outer spaces is quoted.
    /// </summary>
    /// <param name="path">The destination.</param>
    /// <param name="name">The column name (header).</param>
    /// <param name="values">One value per row.</param>
    public static void WriteColumn(string path, string name, IReadOnlyList<string> values)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(values);
        DataStreams.WriteAtomic(path, s =>
        {
            using var w = new StreamWriter(s, AtomicFile.Utf8NoBom, 1 << 16, leaveOpen: true) { NewLine = "\n" };
            w.WriteLine(QuoteCell(name));
            foreach (var v in values) w.WriteLine(QuoteCell(v ?? ""));
        });
    }

    private static string QuoteCell(string v) =>
        v.Contains(',') || v.Contains('"') || v.Length > 0 && (v[0] == ' ' || v[^1] == ' ' || v[0] == '#')
            ? "\"" + v.Replace("\"", "\"\"") + "\""
            : v;

    private static void CheckNames(Matrix matrix, IReadOnlyList<string>? names)
    {
        if (names is not null && names.Count != matrix.Cols)
            throw new ArgumentException($"{names.Count} column names were given for a matrix with {matrix.Cols} columns ({matrix.Shape}). Give one name per column.", nameof(names));
    }

    private static string QuoteName(string name, char d) =>
        name.Contains(d) || name.Contains('"') || name.Contains(' ') && d == ' '
            ? "\"" + name.Replace("\"", "\"\"") + "\""
            : name;
}

/// <summary>A CSV file read as text cells (<see cref="CsvFile.ReadCells"/>): one array per data row, with its line number.</summary>
/// <param name="Source">The file, for messages.</param>
/// <param name="Names">The header names, or null.</param>
/// <param name="Cols">Number of columns.</param>
/// <param name="Rows">The cells of each data row, trimmed, quotes kept.</param>
/// <param name="Lines">The 1-based line number of each data row.</param>
/// <param name="Delimiter">The delimiter used.</param>
/// <param name="FirstRowHint">Why row 1 was taken as data (for messages about a cell in it), or null.</param>
internal sealed record CsvCells(string Source, string[]? Names, int Cols, List<string[]> Rows, List<int> Lines, CsvDelimiter Delimiter, string? FirstRowHint);
