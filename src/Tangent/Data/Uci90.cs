using System.Globalization;
using Tangent.Numerics;

namespace Tangent.Data;

/// <summary>One train/test split of a UCI data set (0-based row indices).</summary>
/// <param name="Train">The training rows.</param>
/// <param name="Test">The test (or validation) rows.</param>
public sealed record UciSplit(int[] Train, int[] Test);

/// <summary>
/// One of the 90 UCI classification data sets of Arora et al. 2020 ("Harnessing the Power of
/// Infinitely Wide Deep Nets on Small-data Tasks"), preprocessed by Fernández-Delgado et al. 2014
/// (features already standardised).
/// </summary>
/// <param name="Name">The data set's folder name.</param>
/// <param name="X">The features, n×d.</param>
/// <param name="Labels">The classes, 0..k-1.</param>
/// <param name="ClassCount">k (from the metadata file when present).</param>
/// <param name="Validation">The model-selection split of <c>conxuntos.dat</c> (line 1 train, line 2 validation).</param>
/// <param name="Folds">The 4 train/test pairs of <c>conxuntos_kfold.dat</c> used to report accuracy.</param>
public sealed record UciDataset(string Name, Matrix X, int[] Labels, int ClassCount, UciSplit Validation, IReadOnlyList<UciSplit> Folds)
{
    /// <summary>Number of samples n.</summary>
    public int Count => X.Rows;

    /// <summary>Number of features d.</summary>
    public int Features => X.Cols;

    /// <summary>As a <see cref="ClassificationData"/> (class names "0".."k-1").</summary>
    public ClassificationData ToClassification() =>
        new(Name, X, Labels, Enumerable.Range(0, ClassCount).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray());
}

/// <summary>
/// Loads the UCI-90 collection from the folder the user extracted <c>uci90.txz</c> into: one folder
/// per data set with <c>&lt;name&gt;_R.dat</c> (a header line, then rows <c>index f1..fd label</c>,
/// whitespace-separated), <c>&lt;name&gt;.txt</c> (metadata), <c>conxuntos.dat</c> (train and
/// validation indices, 0-based) and <c>conxuntos_kfold.dat</c> (4 train/test pairs of lines).
/// </summary>
public static class Uci90
{
    /// <summary>The data set names under <paramref name="root"/> (folders holding <c>&lt;name&gt;_R.dat</c>), sorted.</summary>
    /// <param name="root">The extracted <c>uci90</c> folder.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static IReadOnlyList<string> List(string root)
    {
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"The UCI folder '{root}' does not exist. Extract uci90.txz (tar xJf uci90.txz) and give the 'uci90' folder it creates.");
        return Directory.GetDirectories(root)
            .Select(Path.GetFileName)
            .Where(n => n is not null && File.Exists(Path.Combine(root, n, n + "_R.dat")))
            .Select(n => n!)
            .Order(StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>Loads the data set <paramref name="name"/> under <paramref name="root"/>.</summary>
    public static UciDataset Load(string root, string name) => Load(Path.Combine(root, name));

    /// <summary>Loads every data set under <paramref name="root"/>, in name order.</summary>
    public static IEnumerable<UciDataset> LoadAll(string root) => List(root).Select(n => Load(root, n));

    /// <summary>Loads one data set from its folder (e.g. <c>.../uci90/iris</c>).</summary>
    /// <param name="directory">The data set's folder; its name is the data set's name.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">A required file is missing.</exception>
    /// <exception cref="DataFormatException">A file is malformed or an index is out of range.</exception>
    public static UciDataset Load(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        string dir = Path.TrimEndingDirectorySeparator(directory);
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException($"The UCI data set folder '{directory}' does not exist. Give a folder such as 'uci90/iris' from the extracted uci90.txz.");
        string name = Path.GetFileName(dir);
        var meta = ReadMeta(Path.Combine(dir, name + ".txt"));
        string dataFile = Path.Combine(dir, meta.TryGetValue("fich1", out var f) ? f : name + "_R.dat");
        var (x, labels) = ReadData(dataFile);
        int k = labels.Length == 0 ? 0 : labels.Max() + 1;
        if (meta.TryGetValue("n_clases", out var kc) && int.TryParse(kc, CultureInfo.InvariantCulture, out int kMeta))
        {
            if (kMeta < k)
                throw new DataFormatException(dataFile, $"a label is {k - 1} but the metadata says {kMeta} classes. The files do not belong together.");
            k = kMeta;
        }
        if (meta.TryGetValue("n_entradas", out var de) && int.TryParse(de, CultureInfo.InvariantCulture, out int dMeta) && dMeta != x.Cols)
            throw new DataFormatException(dataFile, $"the rows have {x.Cols} features but the metadata says {dMeta}. The files do not belong together.");
        var val = ReadIndexLines(Path.Combine(dir, "conxuntos.dat"), 2, x.Rows);
        var kf = ReadIndexLines(Path.Combine(dir, "conxuntos_kfold.dat"), 8, x.Rows);
        var folds = Enumerable.Range(0, 4).Select(i => new UciSplit(kf[2 * i], kf[2 * i + 1])).ToArray();
        return new UciDataset(name, x, labels, k, new UciSplit(val[0], val[1]), folds);
    }

    private static Dictionary<string, string> ReadMeta(string path)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path)) return d;
        foreach (string line in File.ReadLines(path))
        {
            var parts = line.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && parts[0].Length > 0) d[parts[0]] = parts[1];
        }
        return d;
    }

    private static (Matrix X, int[] Labels) ReadData(string path)
    {
        using var s = DataStreams.OpenRead(path);
        using var r = new StreamReader(s, AtomicFile.Utf8NoBom);
        r.ReadLine(); // header: f1 .. fd clase
        // A leading blank line keeps CsvFile's row numbers equal to the file's line numbers.
        var body = new StringReader("\n" + r.ReadToEnd());
        var t = CsvFile.Parse(body, path, new CsvReadOptions { Header = CsvHeader.Absent, Delimiter = CsvDelimiter.Whitespace });
        if (t.Cols < 3)
            throw new DataFormatException(path, 2, null, $"rows have {t.Cols} fields; expected an index, at least one feature and a label.");
        int d = t.Cols - 2;
        var labels = new int[t.Rows];
        for (int i = 0; i < t.Rows; i++)
        {
            double v = t.Values[i, t.Cols - 1];
            if (v != Math.Floor(v) || v < 0 || v > int.MaxValue)
                throw new DataFormatException(path, i + 2, t.Cols, $"the label {v.ToString("R", CultureInfo.InvariantCulture)} is not a non-negative integer.");
            labels[i] = (int)v;
        }
        return (t.Values.SelectColumns(Enumerable.Range(1, d).ToArray()), labels);
    }

    private static int[][] ReadIndexLines(string path, int expectedLines, int n)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"The split file '{path}' is missing. Each UCI-90 data set folder needs conxuntos.dat and conxuntos_kfold.dat; extract uci90.txz again.", path);
        var lines = File.ReadAllLines(path).Where(l => l.Trim().Length > 0).ToArray();
        if (lines.Length != expectedLines)
            throw new DataFormatException(path, $"expected {expectedLines} non-empty lines of indices, found {lines.Length}.");
        var result = new int[expectedLines][];
        for (int li = 0; li < lines.Length; li++)
        {
            var tok = lines[li].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            var idx = new int[tok.Length];
            for (int j = 0; j < tok.Length; j++)
            {
                if (!int.TryParse(tok[j], NumberStyles.None, CultureInfo.InvariantCulture, out idx[j]) || idx[j] >= n)
                    throw new DataFormatException(path, li + 1, j + 1, $"'{tok[j]}' is not a row index in 0..{n - 1} (the data file has {n} rows).");
            }
            result[li] = idx;
        }
        return result;
    }
}
