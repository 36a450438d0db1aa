using System.Globalization;
using Tangent.Numerics;

namespace Tangent.Data;

/// <summary>What to read from a table and how (docs/DATA.md, "One data model for every command").</summary>
public sealed record LabeledTableOptions
{
    /// <summary>
    /// The target columns: header names or 1-based positions (negative: from the end, -1 = last). Empty:
    /// no target (features only, Y has no columns). With <see cref="TargetFile"/>: columns of that file
    /// (empty: all of them).
    /// </summary>
    public IReadOnlyList<string> Target { get; init; } = [];

    /// <summary>Columns of the data file left out of the features: names or 1-based positions.</summary>
    public IReadOnlyList<string> Drop { get; init; } = [];

    /// <summary>A separate file of targets (CSV, possibly with text labels, or <c>.npy</c>), one row per data row; null: the targets are columns of the data file.</summary>
    public string? TargetFile { get; init; }

    /// <summary>The task; null: decided from the target (see <see cref="LabeledTable.DecideTask"/>).</summary>
    public TaskKind? Task { get; init; }

    /// <summary>
    /// New data to predict for (with a <c>like</c> model's data): when no <see cref="Target"/> names a
    /// column of the file, the file is read as features only (Y has no columns). Default false: a missing
    /// target column is an error.
    /// </summary>
    public bool TargetOptional { get; init; }

    /// <summary>Header and delimiter choices for CSV files.</summary>
    public CsvReadOptions Csv { get; init; } = CsvReadOptions.Default;
}

/// <summary>
/// A table read as features and targets (docs/DATA.md, "One data model for every command"): a CSV file
/// (with or without a header; target columns may hold text labels, feature columns must be numbers) or
/// a <c>.npy</c> matrix, with targets picked by name or 1-based position or read from a separate file,
/// columns dropped, and the task decided; plus the warnings a user should see (columns that look like
/// row ids).
/// </summary>
public sealed class LabeledTable
{
    /// <summary>The most distinct integer values a target may have to be taken as class labels when the task is not given.</summary>
    public const int MaxAutoClasses = 50;

    private LabeledTable(LabeledData data, IReadOnlyList<string> warnings)
    {
        Data = data;
        Warnings = warnings;
    }

    /// <summary>The features and targets.</summary>
    public LabeledData Data { get; }

    /// <summary>Things a user should know (one line each), e.g. a feature column that looks like a row id.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>
    /// Reads a table. With <paramref name="like"/> (the training data) the file must have the same
    /// features, the task is <paramref name="like"/>'s and class labels are coded with its classes.
    /// </summary>
    /// <param name="path">A CSV file (<c>.csv .tsv .txt</c>, optionally <c>.gz</c>) or a <c>.npy</c> matrix.</param>
    /// <param name="options">Targets, dropped columns, task and CSV options.</param>
    /// <param name="like">The training data this file must match (for test data), or null.</param>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="DataFormatException">
    /// A file is malformed; a column is unknown (the message lists the columns and the nearest name),
    /// selected twice, or both target and dropped; a feature cell is not a number (row and column, 1-based);
    /// a target does not fit the task; row counts differ; or the features differ from <paramref name="like"/>'s.
    /// </exception>
    public static LabeledTable Load(string path, LabeledTableOptions? options = null, LabeledData? like = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new LabeledTableOptions();
        var data = Source.Read(path, options.Csv);
        var targets = options.TargetFile is { } tf ? Source.Read(tf, options.Csv) : data;
        bool separate = !ReferenceEquals(targets, data);
        if (separate && targets.Rows != data.Rows)
            throw new DataFormatException(targets.Path,
                $"the target file has {targets.Rows} rows but the data '{data.Path}' has {data.Rows}. Give one target row per data row, in the same order (check the header option of both files).");

        var targetCols = new List<int>();
        if (separate && options.Target.Count == 0) targetCols.AddRange(Enumerable.Range(0, targets.Cols));
        bool skipTargets = options.TargetOptional && !separate && targets.Names is { } names
            && options.Target.All(t => !names.Any(n => string.Equals(n, t.Trim(), StringComparison.OrdinalIgnoreCase)));
        foreach (var t in skipTargets ? [] : options.Target)
        {
            int j = targets.Resolve(t, "target");
            if (targetCols.Contains(j))
                throw new DataFormatException(targets.Path, $"target column {targets.Describe(j)} is selected twice. Name each target column once.");
            targetCols.Add(j);
        }
        var dropCols = new HashSet<int>();
        foreach (var d in options.Drop)
        {
            int j = data.Resolve(d, "drop");
            if (!separate && targetCols.Contains(j))
                throw new DataFormatException(data.Path, $"column {data.Describe(j)} is both a target and dropped. Drop only columns that are neither target nor feature.");
            dropCols.Add(j);
        }
        var featureCols = Enumerable.Range(0, data.Cols).Where(j => !dropCols.Contains(j) && (separate || !targetCols.Contains(j))).ToArray();
        if (featureCols.Length == 0)
            throw new DataFormatException(data.Path, $"no feature column is left: the file has {data.Cols} columns and all are targets or dropped. Keep at least one feature column.");

        string dropHint(int j) => data.Names is not null
            ? $" Column '{data.Names[j]}' holds text: leave it out (--drop {Quote(data.Names[j])}), or make it the target (--target {Quote(data.Names[j])}) if it is the label."
            : $" Column {j + 1} holds text: leave it out (--drop {j + 1}), or make it the target (--target {j + 1}) if it is the label.";
        var x = data.Numbers(featureCols, dropHint);
        var featureNames = featureCols.Select(j => data.Names?[j] ?? $"x{j + 1}").ToArray();
        var warnings = like is null ? IdWarnings(x, featureNames, featureCols, data) : [];
        if (like is not null) CheckSameFeatures(data, featureNames, like);

        if (targetCols.Count == 0)
        {
            if (like is not null && like.Y.Cols > 0 && !skipTargets)
                throw new DataFormatException(data.Path, $"no target column was selected but the training data has targets ({string.Join(", ", like.TargetNames)}). Select the same target columns in both files.");
            return new LabeledTable(like is not null && skipTargets
                ? new LabeledData(x, new Matrix(x.Rows, 0), featureNames, like.TargetNames, like.Task, like.Labels)
                : new LabeledData(x, new Matrix(x.Rows, 0), featureNames, [], TaskKind.Regression), warnings);
        }
        var targetNames = targetCols.Select(j => targets.Names?[j] ?? (targetCols.Count == 1 ? "y" : $"y{j + 1}")).ToArray();
        TaskKind task = like?.Task ?? options.Task ?? DecideTaskOf(targets, targetCols);
        if (task == TaskKind.Regression)
        {
            string textHint(int j) => $" A regression target must be numeric; for class labels give --task classification (task Classification).";
            var y = targets.Numbers(targetCols, textHint);
            if (like is not null && like.Y.Cols != y.Cols)
                throw new DataFormatException(targets.Path, $"{y.Cols} target columns are selected but the training data has {like.Y.Cols}. Select the same target columns in both files.");
            return new LabeledTable(new LabeledData(x, y, featureNames, targetNames, TaskKind.Regression), warnings);
        }
        if (targetCols.Count != 1)
            throw new DataFormatException(targets.Path,
                $"classification takes one target column of labels, but {targetCols.Count} are selected ({string.Join(", ", targetNames)}). Select one, or give the task regression for several numeric targets.");
        int tj = targetCols[0];
        var raw = targets.Labels(tj);
        LabelEncoder encoder;
        if (like?.Labels is { } known)
        {
            encoder = known;
            for (int i = 0; i < raw.Length; i++)
                if (!encoder.Classes.Contains(raw[i].Trim()))
                    throw new DataFormatException(targets.Path, targets.Line(i), tj + 1,
                        $"the label '{raw[i]}' is not one of the {encoder.Count} classes of the training data ({encoder.Describe()}). Remove the row, or train on data that has this class.");
        }
        else
        {
            var distinct = raw.Select(l => l.Trim()).Distinct(StringComparer.Ordinal).Count();
            if (distinct < 2)
                throw new DataFormatException(targets.Path,
                    $"the target {targets.Describe(tj)} has {distinct} class ('{raw[0].Trim()}') in {raw.Length} rows; classification needs at least two. Check the target column, or give the task regression.");
            encoder = LabelEncoder.Fit(raw);
        }
        return new LabeledTable(new LabeledData(x, encoder.OneHot(raw), featureNames, targetNames, TaskKind.Classification, encoder, raw), warnings);
    }

    /// <summary>
    /// The task of target columns when it is not given: classification when there is one target column and
    /// it holds a cell that is not a number (text labels), or only integers with at most
    /// <see cref="MaxAutoClasses"/> distinct values and fewer distinct values than half the rows; otherwise regression.
    /// </summary>
    public static TaskKind DecideTask(IReadOnlyList<string> targetCells)
    {
        ArgumentNullException.ThrowIfNull(targetCells);
        var distinct = new HashSet<string>(StringComparer.Ordinal);
        bool allIntegers = true;
        foreach (var raw in targetCells)
        {
            var c = raw.Trim();
            if (c.Length == 0) continue;
            if (!double.TryParse(c, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v)) return TaskKind.Classification;
            if (v != Math.Floor(v) || Math.Abs(v) > 1e15) allIntegers = false;
            else distinct.Add(v.ToString("R", CultureInfo.InvariantCulture));
        }
        return allIntegers && distinct.Count >= 2 && distinct.Count <= MaxAutoClasses && distinct.Count < targetCells.Count / 2.0
            ? TaskKind.Classification : TaskKind.Regression;
    }

    private static TaskKind DecideTaskOf(Source targets, List<int> cols)
    {
        if (cols.Count != 1)
        {
            foreach (int j in cols)
                if (DecideTask(targets.Labels(j)) == TaskKind.Classification && targets.HasText(j))
                    throw new DataFormatException(targets.Path,
                        $"target column {targets.Describe(j)} holds text labels, but {cols.Count} target columns are selected; classification takes one. Select that column alone.");
            return TaskKind.Regression;
        }
        return DecideTask(targets.Labels(cols[0]));
    }

    /// <summary>
    /// A seeded split into train and test (docs/DATA.md): the same data, fraction and seed give the same
    /// split. Stratified (classification): each class contributes round(fraction·count) of its rows, drawn
    /// at random, to the test part (a class of two or more rows keeps at least one in train); otherwise
    /// round(fraction·n) rows (<see cref="Preprocessing.SplitIndices(int, double, int)"/>). Rows keep their
    /// file order in both parts.
    /// </summary>
    /// <exception cref="ArgumentException">The fraction is not in (0, 1), stratify without class labels, or a part would be empty.</exception>
    public static (LabeledData Train, LabeledData Test) Split(LabeledData data, double testFraction, int seed, bool stratify)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!(testFraction > 0 && testFraction < 1))
            throw new ArgumentException($"The test fraction must be between 0 and 1 (exclusive), not {testFraction.ToString("G", CultureInfo.InvariantCulture)}; e.g. 0.25.", nameof(testFraction));
        int n = data.Count;
        int[] train, test;
        if (stratify)
        {
            if (data.Labels is not { } enc || data.RawLabels is not { } raw)
                throw new ArgumentException("A stratified split needs class labels (a classification target).", nameof(stratify));
            var idx = enc.Indices(raw);
            var rng = new Random(seed);
            var testList = new List<int>();
            for (int c = 0; c < enc.Count; c++)
            {
                var members = Enumerable.Range(0, n).Where(i => idx[i] == c).ToArray();
                for (int i = members.Length - 1; i > 0; i--)
                {
                    int j = rng.Next(i + 1);
                    (members[i], members[j]) = (members[j], members[i]);
                }
                int k = (int)Math.Round(testFraction * members.Length, MidpointRounding.AwayFromZero);
                if (k >= members.Length && members.Length >= 2) k = members.Length - 1;
                testList.AddRange(members.Take(k));
            }
            test = testList.Order().ToArray();
            var inTest = new HashSet<int>(test);
            train = Enumerable.Range(0, n).Where(i => !inTest.Contains(i)).ToArray();
        }
        else (train, test) = Preprocessing.SplitIndices(n, testFraction, seed);
        if (train.Length == 0 || test.Length == 0)
            throw new ArgumentException($"A test fraction of {testFraction.ToString("G", CultureInfo.InvariantCulture)} of {n} rows leaves {train.Length} for training and {test.Length} for testing; both need rows. Use more data or another fraction.", nameof(testFraction));
        return (data.Subset(train), data.Subset(test));
    }

    private static List<string> IdWarnings(Matrix x, string[] names, int[] fileCols, Source data)
    {
        var warnings = new List<string>();
        for (int f = 0; f < names.Length; f++)
        {
            string name = names[f].Trim();
            bool byName = data.Names is not null && (name.Equals("id", StringComparison.OrdinalIgnoreCase) || name.Equals("index", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("Unnamed:", StringComparison.OrdinalIgnoreCase));
            string? run = x.Rows >= 3 ? CountsRows(x, f) : null;
            if (!byName && run is null) continue;
            string what = data.Names is not null ? $"'{names[f]}'" : $"{fileCols[f] + 1}";
            string why = run is not null ? $"its values are the row numbers {run}" : "its name says so";
            warnings.Add($"'{data.Path}': column {what} (column {fileCols[f] + 1}) looks like a row id ({why}) and is used as a feature; drop it (--drop {(data.Names is not null ? Quote(names[f]) : (fileCols[f] + 1).ToString(CultureInfo.InvariantCulture))}) unless it carries information.");
        }
        return warnings;
    }

    /// <summary>"1..n" or "0..n−1" when column f holds exactly the row numbers, else null.</summary>
    private static string? CountsRows(Matrix x, int f)
    {
        for (int start = 0; start <= 1; start++)
        {
            bool all = true;
            for (int i = 0; i < x.Rows && all; i++) all = x[i, f] == i + start;
            if (all) return start == 1 ? $"1..{x.Rows}" : $"0..{x.Rows - 1}";
        }
        return null;
    }

    private static void CheckSameFeatures(Source data, string[] names, LabeledData like)
    {
        if (names.Length != like.FeatureNames.Count)
            throw new DataFormatException(data.Path,
                $"{names.Length} feature columns are left but the training data has {like.FeatureNames.Count} ({Describe(like.FeatureNames)}). Give both files the same columns (and the same --target and --drop).");
        if (data.Names is null) return;
        for (int j = 0; j < names.Length; j++)
            if (!string.Equals(names[j], like.FeatureNames[j], StringComparison.Ordinal) && !IsDefaultName(like.FeatureNames[j]))
                throw new DataFormatException(data.Path,
                    $"feature {j + 1} is '{names[j]}' but in the training data it is '{like.FeatureNames[j]}'. Give both files the same columns in the same order.");
    }

    private static bool IsDefaultName(string name) =>
        name.Length > 1 && name[0] == 'x' && name.AsSpan(1).IndexOfAnyExceptInRange('0', '9') < 0;

    private static string Describe(IReadOnlyList<string> names) =>
        string.Join(", ", names.Take(8).Select(n => $"'{n}'")) + (names.Count > 8 ? $", … ({names.Count} in all)" : "");

    private static string Quote(string name) => name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.') ? name : $"\"{name}\"";

    /// <summary>A file read either as CSV text cells or as a numeric .npy matrix.</summary>
    private sealed class Source
    {
        private readonly CsvCells? _cells;
        private readonly Matrix? _matrix;
        private readonly bool _allowNonFinite;

        private Source(string path, CsvCells? cells, Matrix? matrix, bool allowNonFinite)
        {
            Path = path;
            _cells = cells;
            _matrix = matrix;
            _allowNonFinite = allowNonFinite;
        }

        public string Path { get; }
        public string[]? Names => _cells?.Names;
        public int Rows => _cells?.Rows.Count ?? _matrix!.Rows;
        public int Cols => _cells?.Cols ?? _matrix!.Cols;

        public static Source Read(string path, CsvReadOptions csv) => MatrixFile.FormatOf(path) == MatrixFileFormat.Npy
            ? new Source(path, null, Npy.ReadMatrix(path, csv.AllowNonFinite), csv.AllowNonFinite)
            : new Source(path, CsvFile.ReadCells(path, csv), null, csv.AllowNonFinite);

        /// <summary>The 1-based file line of data row i (CSV), or the 1-based row (.npy).</summary>
        public int Line(int i) => _cells?.Lines[i] ?? i + 1;

        public string Describe(int j) => Names is not null ? $"'{Names[j]}' (column {j + 1})" : $"{j + 1}";

        /// <summary>A column by name (exact, then ignoring case) or 1-based position (negative: from the end).</summary>
        public int Resolve(string text, string role)
        {
            var selector = ColumnSelector.Parse(text);
            string name = selector.Name!;
            if (Names is not null)
            {
                for (int j = 0; j < Cols; j++) if (Names[j] == name) return j;
                for (int j = 0; j < Cols; j++) if (string.Equals(Names[j], name, StringComparison.OrdinalIgnoreCase)) return j;
            }
            if (int.TryParse(name, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int k))
            {
                if (k >= 1 && k <= Cols) return k - 1;
                if (k <= -1 && k >= -Cols) return Cols + k;
                throw new DataFormatException(Path, $"{role} column {k} is out of range: the file has {Cols} columns, so give a position 1..{Cols} (or -1..-{Cols} from the end).");
            }
            if (Names is null)
                throw new DataFormatException(Path, $"{role} column '{name}' was asked for by name, but the file has no header line. Give its 1-based position (1..{Cols}), or add a header.");
            string? near = Nearest(name, Names);
            string list = string.Join(", ", Names.Take(30).Select(n => $"'{n}'")) + (Cols > 30 ? $", … ({Cols} in all)" : "");
            throw new DataFormatException(Path,
                $"there is no {role} column '{name}'{(near is not null ? $" (did you mean '{near}'?)" : "")}. The columns are: {list}; give a name or a 1-based position.");
        }

        public Matrix Numbers(IReadOnlyList<int> cols, Func<int, string> textHint)
        {
            if (_matrix is not null) return _matrix.SelectColumns(cols);
            var c = _cells!;
            var m = new Matrix(c.Rows.Count, cols.Count);
            for (int i = 0; i < c.Rows.Count; i++)
            {
                var row = c.Rows[i];
                for (int k = 0; k < cols.Count; k++)
                    m[i, k] = CsvFile.ParseNumber(row[cols[k]], Path, c.Lines[i], cols[k] + 1, c.Delimiter, _allowNonFinite, i == 0 ? c.FirstRowHint : null, textHint(cols[k]));
            }
            return m;
        }

        /// <summary>Column j as label text; an empty cell is refused (row and column, 1-based).</summary>
        public string[] Labels(int j)
        {
            var o = new string[Rows];
            for (int i = 0; i < o.Length; i++)
            {
                o[i] = _matrix is not null ? Format(_matrix[i, j]) : CsvFile.LabelText(_cells!.Rows[i][j]);
                if (o[i].Length == 0)
                    throw new DataFormatException(Path, Line(i), j + 1, "the target is empty (a missing label). Fill it in or remove the row.");
            }
            return o;
        }

        public bool HasText(int j) => _cells is not null && Labels(j).Any(l => !double.TryParse(l, NumberStyles.Float, CultureInfo.InvariantCulture, out _));

        private static string Format(double v) => v == Math.Floor(v) && Math.Abs(v) < 1e15
            ? ((long)v).ToString(CultureInfo.InvariantCulture) : v.ToString("R", CultureInfo.InvariantCulture);

        private static string? Nearest(string typed, IEnumerable<string> candidates)
        {
            string? best = null;
            int bestDistance = int.MaxValue;
            foreach (var c in candidates)
            {
                int d = Diagnostics.Spelling.Distance(typed.ToLowerInvariant(), c.ToLowerInvariant());
                if (d < bestDistance) (best, bestDistance) = (c, d);
            }
            return best is not null && bestDistance <= Math.Max(2, typed.Length / 3) ? best : null;
        }
    }
}
