using System.Globalization;

namespace Tangent.Data;

/// <summary>
/// Reads the small tabular data sets in the layout scikit-learn ships them in: an optional first
/// line <c>n_samples,n_features,class names...</c>, then one row per sample of the features
/// followed by an integer label. Without that header line the last column is the label and the
/// classes are named "0".."k-1". The first line is taken as that header when it starts with two
/// integers and either has a non-numeric class name or a different number of fields than the
/// next line. Regression sets come as a feature file and a target file.
/// </summary>
public static class TabularFile
{
    /// <summary>Reads a classification file (gzipped when the name ends in <c>.gz</c>).</summary>
    /// <param name="path">The file.</param>
    /// <param name="name">A name for the data set (default: the file name without extensions).</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">The header disagrees with the rows, or a label is not an integer in range.</exception>
    public static ClassificationData ReadClassification(string path, string? name = null)
    {
        using var s = DataStreams.OpenRead(path);
        using var r = new StreamReader(s, AtomicFile.Utf8NoBom);
        return ParseClassification(r, path, name ?? BaseName(path));
    }

    internal static string BaseName(string path)
    {
        string f = Path.GetFileName(DataStreams.WithoutGz(path));
        int dot = f.IndexOf('.');
        return dot > 0 ? f[..dot] : f;
    }

    /// <summary>Parses a classification table from text (see <see cref="ReadClassification"/>).</summary>
    /// <param name="reader">The text.</param>
    /// <param name="source">A name for messages.</param>
    /// <param name="name">The data set's name.</param>
    public static ClassificationData ParseClassification(TextReader reader, string source, string name)
    {
        ArgumentNullException.ThrowIfNull(reader);
        string text = reader.ReadToEnd();
        int nl = text.IndexOf('\n');
        string first = (nl < 0 ? text : text[..nl]).Trim();
        string second = nl < 0 ? "" : FirstLine(text, nl + 1);
        var f1 = first.Split(',', StringSplitOptions.TrimEntries);
        var f2 = second.Split(',', StringSplitOptions.TrimEntries);
        bool namesAreText = f1.Skip(2).Any(f => !double.TryParse(f, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
        bool hasHeader = f1.Length >= 2 && second.Length > 0 && (f1.Length != f2.Length || namesAreText)
                         && int.TryParse(f1[0], NumberStyles.None, CultureInfo.InvariantCulture, out _)
                         && int.TryParse(f1[1], NumberStyles.None, CultureInfo.InvariantCulture, out _);
        // Blank out the header line so that CsvFile reports the file's own line numbers.
        string body = hasHeader ? "\n" + (nl < 0 ? "" : text[(nl + 1)..]) : text;
        var table = CsvFile.Parse(new StringReader(body), source, new CsvReadOptions { Header = CsvHeader.Absent, Delimiter = CsvDelimiter.Comma });
        int d = table.Cols - 1;
        if (d < 1)
            throw new DataFormatException(source, 2, null, $"a row has {table.Cols} column(s); expected the features followed by a label (at least 2).");
        string[]? classNames = null;
        if (hasHeader)
        {
            int n = int.Parse(f1[0], CultureInfo.InvariantCulture), dh = int.Parse(f1[1], CultureInfo.InvariantCulture);
            if (dh != d)
                throw new DataFormatException(source, 1, 2,
                    $"the header says {dh} features but the rows have {d} features and a label ({table.Cols} columns). Fix the header or the rows.");
            if (n != table.Rows)
                throw new DataFormatException(source, 1, 1,
                    $"the header says {n} samples but the file has {table.Rows} data rows. The file is truncated or the header is wrong.");
            classNames = f1[2..];
        }
        var labels = new int[table.Rows];
        int max = -1;
        for (int i = 0; i < table.Rows; i++)
        {
            double v = table.Values[i, d];
            int row = i + 2 - (hasHeader ? 0 : 1);
            if (v != Math.Floor(v) || v < 0 || v > int.MaxValue)
                throw new DataFormatException(source, row, d + 1,
                    $"the label {v.ToString("R", CultureInfo.InvariantCulture)} is not a non-negative integer. The last column must hold class indices 0..k-1.");
            labels[i] = (int)v;
            max = Math.Max(max, labels[i]);
            if (classNames is not null && labels[i] >= classNames.Length)
                throw new DataFormatException(source, row, d + 1,
                    $"the label {labels[i]} is out of range: the header names {classNames.Length} classes (labels 0..{classNames.Length - 1}).");
        }
        classNames ??= Enumerable.Range(0, max + 1).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray();
        var x = table.Values.SelectColumns(Enumerable.Range(0, d).ToArray());
        return new ClassificationData(name, x, labels, classNames);
    }

    private static string FirstLine(string text, int start)
    {
        // The first non-blank line at or after start.
        while (start < text.Length)
        {
            int e = text.IndexOf('\n', start);
            if (e < 0) e = text.Length;
            string line = text[start..e].Trim();
            if (line.Length > 0) return line;
            start = e + 1;
        }
        return "";
    }

    /// <summary>
    /// Reads a regression set from a feature file (rows of numbers, delimiter detected) and a
    /// target file (one or more columns), checking that the row counts agree.
    /// </summary>
    /// <param name="dataPath">The features.</param>
    /// <param name="targetPath">The targets.</param>
    /// <param name="name">A name (default: from the feature file's name).</param>
    /// <param name="featureNames">Optional feature names.</param>
    /// <exception cref="DataFormatException">A file is malformed or the row counts differ.</exception>
    public static RegressionData ReadRegression(string dataPath, string targetPath, string? name = null, IReadOnlyList<string>? featureNames = null)
    {
        var opts = new CsvReadOptions { Header = CsvHeader.Absent };
        var (x, y) = CsvFile.ReadXY(dataPath, targetPath, opts);
        if (featureNames is not null && featureNames.Count != x.Cols)
            throw new ArgumentException($"{featureNames.Count} feature names for {x.Cols} features.", nameof(featureNames));
        return new RegressionData(name ?? BaseName(dataPath), x, y, featureNames);
    }
}
