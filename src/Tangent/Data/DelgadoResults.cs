using System.Globalization;

namespace Tangent.Data;

/// <summary>
/// The published accuracies of Fernández-Delgado et al. 2014 ("Do we need hundreds of classifiers to solve
/// real world classification problems?", JMLR 15), the file <c>results.txt</c> that Arora et al. 2020 compare
/// with: a whitespace table whose first line names the columns (<c>problema</c>, then one column per
/// classifier such as <c>parRF_caret</c> (random forest) and <c>svm_C</c> (Gaussian SVM), then summary
/// columns), one row per data set with accuracies in percent (<c>--</c> where a classifier has no result),
/// and, after a line of dashes, summary rows (<c>mean</c>, <c>std</c>) that are not read.
/// </summary>
public sealed class DelgadoResults
{
    /// <summary>The column of Delgado's random forest (caret's parRF), the best classifier of that study.</summary>
    public const string RandomForest = "parRF_caret";

    /// <summary>The column of Delgado's Gaussian SVM (LibSVM in C, γ and C tuned).</summary>
    public const string GaussianSvm = "svm_C";

    private readonly Dictionary<string, int> _columns;
    private readonly Dictionary<string, double[]> _rows;
    private readonly Dictionary<string, string> _byKey;

    private DelgadoResults(string source, string[] columns, List<(string Name, double[] Values)> rows)
    {
        Source = source;
        Columns = columns;
        _columns = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < columns.Length; i++) _columns.TryAdd(columns[i], i);
        _rows = rows.ToDictionary(r => r.Name, r => r.Values, StringComparer.Ordinal);
        DataSets = rows.Select(r => r.Name).ToArray();
        _byKey = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, _) in rows) _byKey.TryAdd(Key(name), name);
    }

    /// <summary>The file (or source name) the table came from, for messages.</summary>
    public string Source { get; }

    /// <summary>The value columns in file order (the classifiers, then any summary columns such as min, max, mean, std).</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>The data set names in file order.</summary>
    public IReadOnlyList<string> DataSets { get; }

    /// <summary>Reads the table from a file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">The header does not start with <c>problema</c>, a row has a different number of
    /// fields than the header, a value is neither a number nor <c>--</c>, or a data set appears twice (row and column 1-based).</exception>
    public static DelgadoResults Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"The results file '{path}' does not exist. Give the results.txt of Fernández-Delgado et al. 2014 (a whitespace table whose first column is 'problema').", path);
        using var reader = new StreamReader(path);
        return Parse(reader, path);
    }

    /// <summary>Reads the table from text; <paramref name="source"/> names it in messages.</summary>
    /// <exception cref="DataFormatException">As for <see cref="Load"/>.</exception>
    public static DelgadoResults Parse(TextReader reader, string source)
    {
        ArgumentNullException.ThrowIfNull(reader);
        string[]? header = null;
        var rows = new List<(string, double[])>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        int lineNumber = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0) continue;
            if (header is null)
            {
                if (!string.Equals(fields[0], "problema", StringComparison.Ordinal))
                    throw new DataFormatException(source, lineNumber, 1, $"the header starts with '{fields[0]}', expected 'problema' (the data set column) followed by the classifiers. Is this Delgado's results.txt?");
                if (fields.Length < 2)
                    throw new DataFormatException(source, lineNumber, null, "the header names no classifier column after 'problema'.");
                header = fields;
                continue;
            }
            if (fields.Length == 1 && fields[0].Trim('-').Length == 0) break;   // the dashes before the summary rows
            if (fields.Length != header.Length)
                throw new DataFormatException(source, lineNumber, null, $"the row '{fields[0]}' has {fields.Length} fields but the header has {header.Length}. Each row needs the data set name and one value (or '--') per column.");
            if (seen.TryGetValue(fields[0], out int first))
                throw new DataFormatException(source, lineNumber, 1, $"the data set '{fields[0]}' appears again (first on row {first}); keep one row per data set.");
            seen[fields[0]] = lineNumber;
            var values = new double[header.Length - 1];
            for (int j = 1; j < fields.Length; j++)
            {
                if (fields[j] == "--") values[j - 1] = double.NaN;
                else if (!double.TryParse(fields[j], NumberStyles.Float, CultureInfo.InvariantCulture, out values[j - 1]) || !double.IsFinite(values[j - 1]))
                    throw new DataFormatException(source, lineNumber, j + 1, $"'{fields[j]}' in column '{header[j]}' is not a number (or '--' for no result).");
            }
            rows.Add((fields[0], values));
        }
        if (header is null) throw new DataFormatException(source, "the file is empty; expected a header line starting with 'problema'.");
        return new DelgadoResults(source, header[1..], rows);
    }

    /// <summary>True when the table has the column <paramref name="column"/> (case-sensitive, as in the file).</summary>
    public bool HasColumn(string column) => _columns.ContainsKey(column);

    /// <summary>
    /// The table's name for the data set <paramref name="name"/>: the same name, else the one that differs only in
    /// case and in '-' against '_' (e.g. a folder <c>oocytes-merluccius-nucleus-4d</c> for the row
    /// <c>oocytes_merluccius_nucleus_4d</c>); null when the table has no such row.
    /// </summary>
    public string? Match(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_rows.ContainsKey(name)) return name;
        return _byKey.TryGetValue(Key(name), out var found) ? found : null;
    }

    /// <summary>
    /// The accuracy in percent of <paramref name="column"/> on the data set <paramref name="dataSet"/> (matched as
    /// <see cref="Match"/> does); null when the data set has no row or the classifier no result there ('--').
    /// </summary>
    /// <exception cref="ArgumentException">The table has no column <paramref name="column"/>.</exception>
    public double? Accuracy(string dataSet, string column)
    {
        if (!_columns.TryGetValue(column, out int c))
            throw new ArgumentException($"'{Source}' has no column '{column}'; its columns include {string.Join(", ", Columns.Take(5))}, … ({Columns.Count} in all).", nameof(column));
        if (Match(dataSet) is not { } row) return null;
        double v = _rows[row][c];
        return double.IsNaN(v) ? null : v;
    }

    /// <summary>Lower case, '_' read as '-': the key that <see cref="Match"/> compares.</summary>
    private static string Key(string name) => name.Trim().ToLowerInvariant().Replace('_', '-');
}
