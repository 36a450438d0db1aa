using System.Globalization;
using Tangent.Numerics;

namespace Tangent.Data;

/// <summary>A numeric table read from a CSV file: the values and, when the file had a header, the column names.</summary>
public sealed class CsvTable
{
    /// <summary>The file (or source name) the table came from, for messages.</summary>
    public string Source { get; }

    /// <summary>The column names from the header, or null when the file had none.</summary>
    public IReadOnlyList<string>? ColumnNames { get; }

    /// <summary>The values, a row per data line.</summary>
    public Matrix Values { get; }

    /// <summary>Number of data rows.</summary>
    public int Rows => Values.Rows;

    /// <summary>Number of columns.</summary>
    public int Cols => Values.Cols;

    /// <summary>Creates a table.</summary>
    /// <exception cref="ArgumentException">The number of names differs from the number of columns.</exception>
    public CsvTable(string source, IReadOnlyList<string>? columnNames, Matrix values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (columnNames is not null && columnNames.Count != values.Cols)
            throw new ArgumentException($"{columnNames.Count} column names for {values.Cols} columns.", nameof(columnNames));
        Source = source ?? "";
        ColumnNames = columnNames;
        Values = values;
    }

    /// <summary>
    /// The 0-based index of the selected column. A name is matched exactly, then ignoring case; a
    /// name that matches no column but reads as an integer is taken as an index (so command-line
    /// text like "3" or "-1" works with or without a header).
    /// </summary>
    /// <exception cref="DataFormatException">No such column; the message lists the columns there are.</exception>
    public int ResolveColumn(ColumnSelector selector)
    {
        if (selector.Name is { } name)
        {
            if (ColumnNames is not null)
            {
                for (int j = 0; j < ColumnNames.Count; j++)
                    if (ColumnNames[j] == name) return j;
                for (int j = 0; j < ColumnNames.Count; j++)
                    if (string.Equals(ColumnNames[j], name, StringComparison.OrdinalIgnoreCase)) return j;
            }
            if (int.TryParse(name, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int parsed))
                return ResolveIndex(parsed, selector);
            throw new DataFormatException(Source, ColumnNames is null
                ? $"column {selector} was asked for by name, but the file has no header line. Select it by 0-based index (0..{Cols - 1}) or add a header."
                : $"there is no column {selector}. The columns are: {string.Join(", ", ColumnNames.Select(n => $"'{n}'"))}.");
        }
        return ResolveIndex(selector.Index, selector);
    }

    private int ResolveIndex(int index, ColumnSelector selector)
    {
        int j = index < 0 ? Cols + index : index;
        if (j < 0 || j >= Cols)
            throw new DataFormatException(Source,
                $"column index {selector} is out of range: the file has {Cols} columns, so use 0..{Cols - 1} (or -1..-{Cols} from the end).");
        return j;
    }

    /// <summary>The selected columns, in the order given.</summary>
    public Matrix Columns(IEnumerable<ColumnSelector> selectors)
    {
        ArgumentNullException.ThrowIfNull(selectors);
        return Values.SelectColumns(selectors.Select(ResolveColumn).ToArray());
    }

    /// <summary>
    /// Splits the table into inputs X (every column not selected, in file order) and targets Y
    /// (the selected columns, in the order given), so one file can give both.
    /// </summary>
    /// <exception cref="DataFormatException">A column is selected twice, none is selected, or no column is left for X.</exception>
    public (Matrix X, Matrix Y) SplitTargets(IReadOnlyList<ColumnSelector> targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.Count == 0)
            throw new DataFormatException(Source, "no target column was selected. Name at least one target column (by header name or 0-based index).");
        var y = new int[targets.Count];
        var used = new HashSet<int>();
        for (int t = 0; t < targets.Count; t++)
        {
            y[t] = ResolveColumn(targets[t]);
            if (!used.Add(y[t]))
                throw new DataFormatException(Source, $"target column {targets[t]} (index {y[t]}) is selected twice. Select each target column once.");
        }
        var x = Enumerable.Range(0, Cols).Where(j => !used.Contains(j)).ToArray();
        if (x.Length == 0)
            throw new DataFormatException(Source, $"every one of the {Cols} columns is a target, so no input column is left. Select fewer target columns.");
        return (Values.SelectColumns(x), Values.SelectColumns(y));
    }
}
