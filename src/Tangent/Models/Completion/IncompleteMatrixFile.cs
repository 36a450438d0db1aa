using Tangent.Data;
using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Models;

/// <summary>
/// Reads matrices and images with missing entries (docs/COMPLETION.md): a CSV/TSV/TXT file (optionally .gz) whose
/// missing cells are empty, <c>NaN</c> or a missing-value marker (NA, N/A, NULL, ?, …), or a <c>.npy</c> array with NaN
/// where values are missing. Missing entries come back as NaN; every other cell must be a finite number (the message names
/// the file, row and column, 1-based). A first row holding a name (a cell that is neither a number nor a missing marker) is
/// a header and skipped; blank lines and lines starting with '#' are skipped.
/// </summary>
public static class IncompleteMatrixFile
{
    /// <summary>Reads a matrix, NaN at the missing entries.</summary>
    /// <exception cref="DataFormatException">The file is empty or ragged, or a cell is text or ±∞.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static Matrix Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (MatrixFile.FormatOf(path) == MatrixFileFormat.Npy)
        {
            var a = Npy.Read(path, allowNonFinite: true);
            if (a.Rank > 2)
                throw new DataFormatException(path, $"the array has shape {a.ShapeText}; a matrix to complete is 2-D (rows, columns). For an image use --image.");
            RequireNoInfinity(path, a.Values);
            return a.Values;
        }
        using var reader = new StreamReader(DataStreams.OpenRead(path));
        return Parse(reader, path);
    }

    /// <summary>Reads an image: a <c>.npy</c> array of shape (H, W) or (H, W, C) with NaN where values are missing.</summary>
    /// <exception cref="DataFormatException">The file is not 2-D or 3-D, or holds ±∞.</exception>
    public static (ImageShape Shape, double[] Pixels) ReadImage(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (MatrixFile.FormatOf(path) != MatrixFileFormat.Npy)
            throw new DataFormatException(path, "an image to inpaint is a .npy array of shape (H, W) or (H, W, C); save it with numpy.save.");
        var a = Npy.Read(path, allowNonFinite: true);
        if (a.Rank is not (2 or 3))
            throw new DataFormatException(path, $"the array has shape {a.ShapeText}; an image is (H, W) or (H, W, C).");
        RequireNoInfinity(path, a.Values);
        var shape = new ImageShape(a.Shape[0], a.Shape[1], a.Rank == 3 ? a.Shape[2] : 1);
        return (shape, a.Values.Data);
    }

    /// <summary>Parses CSV text (see the type's summary); <paramref name="source"/> names it in messages.</summary>
    /// <exception cref="DataFormatException">The text is empty or ragged, or a cell is text or ±∞.</exception>
    public static Matrix Parse(TextReader reader, string source)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var rows = new List<double[]>();
        char? delimiter = null;
        int lineNo = 0, width = -1;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            var trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed[0] == '#') continue;
            delimiter ??= line.Contains('\t', StringComparison.Ordinal) ? '\t' : line.Contains(',', StringComparison.Ordinal) ? ',' : line.Contains(';', StringComparison.Ordinal) ? ';' : ' ';
            var cells = delimiter == ' ' ? trimmed.Split(' ', StringSplitOptions.RemoveEmptyEntries) : line.Split(delimiter.Value);
            if (rows.Count == 0 && width < 0 && cells.Any(c => !IsNumber(c) && !IsMissing(c)))
            {
                width = cells.Length;   // a header: its width still counts
                continue;
            }
            if (width >= 0 && cells.Length != width)
                throw new DataFormatException(source, $"line {lineNo} has {cells.Length} cells but the {(rows.Count == 0 ? "header" : "first row")} has {width}; every row needs the same number of columns (an empty cell between two delimiters is a missing value).");
            width = cells.Length;
            var row = new double[cells.Length];
            for (int c = 0; c < cells.Length; c++)
            {
                var cell = Unquote(cells[c]);
                if (IsMissing(cell)) { row[c] = double.NaN; continue; }
                if (!double.TryParse(cell, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double v))
                    throw new DataFormatException(source, rows.Count + 1, c + 1, $"'{(cell.Length > 40 ? cell[..40] + "..." : cell)}' is not a number. Numbers use '.' as the decimal separator; a missing entry is an empty cell, NaN or NA.");
                if (double.IsInfinity(v))
                    throw new DataFormatException(source, rows.Count + 1, c + 1, $"'{cell}' is infinite; a missing entry is an empty cell, NaN or NA, an observed one a finite number.");
                row[c] = v;
            }
            rows.Add(row);
        }
        if (rows.Count == 0) throw new DataFormatException(source, "the file has no data rows; give one row of the matrix per line.");
        var m = new Matrix(rows.Count, width);
        for (int i = 0; i < rows.Count; i++) rows[i].CopyTo(m.Row(i));
        return m;
    }

    private static void RequireNoInfinity(string path, Matrix m)
    {
        for (int k = 0; k < m.Data.Length; k++)
            if (double.IsInfinity(m.Data[k]))
                throw new DataFormatException(path, k / m.Cols + 1, k % m.Cols + 1, $"the value is {(m.Data[k] > 0 ? "+∞" : "−∞")}; a missing entry is NaN, an observed one a finite number.");
    }

    private static string Unquote(string s)
    {
        s = s.Trim();
        return s.Length >= 2 && s[0] == '"' && s[^1] == '"' ? s[1..^1].Trim() : s;
    }

    private static bool IsNumber(string cell) =>
        double.TryParse(Unquote(cell), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _);

    /// <summary>Empty, NaN, or a missing-value marker of common exports (R, pandas, spreadsheets).</summary>
    private static bool IsMissing(string cell)
    {
        var c = Unquote(cell);
        return c.Length == 0 || c is "?" or "-" or "."
            || c.Equals("NaN", StringComparison.OrdinalIgnoreCase) || c.Equals("NA", StringComparison.OrdinalIgnoreCase)
            || c.Equals("N/A", StringComparison.OrdinalIgnoreCase) || c.Equals("#N/A", StringComparison.OrdinalIgnoreCase)
            || c.Equals("NULL", StringComparison.OrdinalIgnoreCase) || c.Equals("None", StringComparison.OrdinalIgnoreCase);
    }
}
