using System.CommandLine;
using System.Globalization;
using Tangent.Data;
using Tangent.Dynamics;
using Tangent.Numerics;

namespace Tangent.Cli;

/// <summary>Training data, optional test data and what the user should be told about them (docs/DATA.md, "One data model for every command").</summary>
/// <param name="Train">The training rows.</param>
/// <param name="Test">The test rows (from --test-data or the --test-fraction split), or null.</param>
/// <param name="Warnings">Lines to print before the work (e.g. a feature column that looks like a row id).</param>
internal sealed record DataSet(LabeledData Train, LabeledData? Test, IReadOnlyList<string> Warnings)
{
    /// <summary>Prints each warning as "warning: …".</summary>
    public void PrintWarnings(TextWriter output)
    {
        foreach (var w in Warnings) output.WriteLine($"warning: {w}");
    }
}

/// <summary>
/// The one data model of the commands (docs/DATA.md): --data FILE --target COL[,COL…] [--drop COL…],
/// --test-data FILE or --test-fraction F with --seed, --task, --header, --standardize and
/// --standardize-target. Commands take the parts they need; <see cref="Load"/> returns the training and
/// test data for any of them.
/// </summary>
internal sealed class DataOptions
{
    /// <summary>The test fraction when --data is given without --test-data or --test-fraction on a command that needs test rows.</summary>
    public const double DefaultTestFraction = 0.25;

    private readonly bool _split;

    /// <summary>Creates the options.</summary>
    /// <param name="split">With --test-fraction, --seed, --task and --standardize-target (regress, predict, fit); without them (kernel) only the features are read.</param>
    public DataOptions(bool split = true)
    {
        _split = split;
        Target = new Option<string?>("--target")
        {
            Description = split
                ? "With --data: the target column(s), COL[,COL…] by header name or 1-based position (-1 = last); or a file of targets (.csv/.npy) for a .npy --data."
                : "With --data: target column(s) to leave out of the features, COL[,COL…] by name or 1-based position.",
        };
    }

    public Option<FileInfo?> Data { get; } = new("--data") { Description = "A table: a CSV with a header (or not), or a .npy matrix; the features are every column but --target and --drop." };
    public Option<string?> Target { get; }
    public Option<string[]> Drop { get; } = new("--drop")
    {
        Description = "With --data: columns to leave out (ids, text), by name or 1-based position; comma-separated or repeated.",
        AllowMultipleArgumentsPerToken = true,
    };
    public Option<FileInfo?> TestData { get; } = new("--test-data") { Description = "With --data: a test table with the same columns." };
    public Option<double?> TestFraction { get; } = CliOptions.OptionalNumber("--test-fraction",
        $"With --data and no --test-data: the fraction of rows held out for testing, > 0 and < 1 (default {DefaultTestFraction.ToString(CultureInfo.InvariantCulture)}; stratified by class for classification).",
        new NumberRange(0, MinExclusive: true, Max: 1));
    public Option<int> Seed { get; } = CliOptions.Int("--seed", "Random seed of the --test-fraction split, 0 to 1000000.", 0, 0, 1_000_000);
    public Option<string> Task { get; } = new("--task") { Description = "With --data: regression, classification or auto (default: integer targets with few values, or text labels, are classes).", DefaultValueFactory = _ => "auto" };
    public Option<CsvHeader> Header { get; } = CliOptions.Header();
    public Option<bool> Standardize { get; } = new("--standardize") { Description = "Standardize the features (mean 0, std 1, fitted on the training inputs, applied to the test inputs)." };
    public Option<bool> StandardizeTarget { get; } = new("--standardize-target") { Description = "Standardize regression targets (fitted on the training targets); predictions are mapped back." };

    /// <summary>The options of the data model only (for "was any given" checks).</summary>
    private IEnumerable<Option> DataOnly => _split ? [Target, Drop, TestData, TestFraction, Task] : [Target, Drop, TestData];

    public void AddTo(Command c)
    {
        c.Options.Add(Data);
        foreach (var o in DataOnly) c.Options.Add(o);
        if (_split) c.Options.Add(Seed);
        c.Options.Add(Header);
        c.Options.Add(Standardize);
        if (_split) c.Options.Add(StandardizeTarget);
    }

    /// <summary>True when --data was given.</summary>
    public bool Given(ParseResult r) => r.GetValue(Data) is not null;

    /// <summary>
    /// Refuses mixing the two forms: --data with any of <paramref name="others"/> (the file options it
    /// replaces, --images), or a --data-only option without --data.
    /// </summary>
    public void RefuseMixed(ParseResult r, string otherForm, params Option[] others)
    {
        if (Given(r))
        {
            foreach (var o in others)
                if (r.GetResult(o) is { Implicit: false })
                    throw new CliError($"give either --data (with --target) or {otherForm}, not both ({o.Name} was given with --data).");
            return;
        }
        foreach (var o in _split ? DataOnly.Append(Seed) : DataOnly)
            if (r.GetResult(o) is { Implicit: false })
                throw new CliError($"{o.Name} applies to a table given with --data.", $"give --data FILE, or drop {o.Name}.");
    }

    /// <summary>The CSV options of --header.</summary>
    public CsvReadOptions Csv(ParseResult r) => CliOptions.Csv(r, Header);

    /// <summary>
    /// Reads --data (and --test-data) into training and test data, or splits --data by --test-fraction
    /// and --seed (stratified for classification). <paramref name="needTest"/>: test rows are needed, so
    /// without --test-data the default fraction is held out; <paramref name="needTarget"/>: --target is required.
    /// </summary>
    /// <exception cref="CliError">--data is missing, a bad --task, or --test-data with --test-fraction.</exception>
    /// <exception cref="DataFormatException">A file or a column is wrong (the message names it).</exception>
    public DataSet Load(ParseResult r, bool needTest, bool needTarget)
    {
        var file = r.GetValue(Data) ?? throw new CliError("--data FILE is missing.", "give the table, e.g. --data train.csv --target label");
        var csv = Csv(r);
        var targets = Split(r.GetValue(Target));
        string? targetFile = null;
        if (targets.Count == 1 && IsFile(targets[0]))
        {
            targetFile = Path.GetFullPath(targets[0]);
            targets = [];
        }
        if (needTarget && targets.Count == 0 && targetFile is null)
            throw new CliError($"--target is missing: name the column(s) to predict of --data '{file}'.",
                "e.g. --target label (a header name) or --target -1 (the last column, 1-based positions); for a .npy --data, --target targets.npy");
        TaskKind? task = null;
        if (_split)
            task = (r.GetValue(Task) ?? "auto").Trim().ToLowerInvariant() switch
            {
                "auto" => null,
                "regression" or "regress" => TaskKind.Regression,
                "classification" or "classify" => TaskKind.Classification,
                var v => throw new CliError($"--task must be regression, classification or auto, not '{v}'."),
            };
        var options = new LabeledTableOptions
        {
            Target = targets,
            TargetFile = targetFile,
            Drop = (r.GetValue(Drop) ?? []).SelectMany(Split).ToList(),
            Task = task,
            Csv = csv,
        };
        var train = LabeledTable.Load(file.FullName, options);
        var warnings = train.Warnings.ToList();
        LabeledData? test = null;
        double? fraction = _split ? r.GetValue(TestFraction) : null;
        if (fraction is >= 1)
            throw new CliError($"--test-fraction must be a number > 0 and < 1, not {fraction.Value.ToString(CultureInfo.InvariantCulture)}.", "e.g. --test-fraction 0.25");
        if (r.GetValue(TestData) is { } testFile)
        {
            if (fraction is not null)
                throw new CliError("give either --test-data or --test-fraction, not both.", "--test-fraction splits --data when there is no separate test file.");
            if (targetFile is not null)
                throw new CliError("--test-data cannot be used with a separate target file (--target FILE): its targets would be unknown.",
                    "split the .npy data with --test-fraction, or give CSV tables with a target column.");
            test = LabeledTable.Load(testFile.FullName, options with { Task = train.Data.Task }, train.Data).Data;
            return new DataSet(train.Data, test, warnings);
        }
        if (fraction is null && !needTest) return new DataSet(train.Data, null, warnings);
        var (tr, te) = LabeledTable.Split(train.Data, fraction ?? DefaultTestFraction, r.GetValue(Seed), stratify: train.Data.Task == TaskKind.Classification);
        return new DataSet(tr, te, warnings);
    }

    /// <summary>
    /// The one-line error for a learning rate above the stable bound when the features are raw and the
    /// bound is far (100×) below the learning rate, or null to keep the general message.
    /// </summary>
    public static CliError? ExplainUnstable(UnstableLearningRateException u, bool standardized)
    {
        if (standardized || !(u.Bound * 100 < u.LearningRate)) return null;
        return new CliError(
            $"--learning-rate {u.LearningRate:G6} is far above the stable bound {u.BoundFormula} = {u.Bound:G6} because the features are not standardized: standardize the features (--standardize), or use --learning-rate below {u.Bound:G6}.",
            "--force runs anyway (the continuous-time formulas still hold; discrete steps diverge).");
    }

    internal static List<string> Split(string? text) =>
        text is null ? [] : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    private static bool IsFile(string text)
    {
        try
        {
            MatrixFile.FormatOf(text);
        }
        catch (DataFormatException)
        {
            return false;
        }
        return File.Exists(text);
    }

    /// <summary>
    /// Fits the standardizers on the training data as asked and applies them: features (--standardize) to
    /// both parts; targets (--standardize-target, regression only) to the training targets. Returns both
    /// fitted transforms (null where not asked), to map predictions back (and test targets forward) and
    /// to store with a model.
    /// </summary>
    /// <exception cref="CliError">--standardize-target with a classification target.</exception>
    public (FittedStandardizer? Features, FittedStandardizer? Target) Apply(ParseResult r, ref Matrix x, ref Matrix xs, ref Matrix y, bool classification)
    {
        FittedStandardizer? features = null;
        if (r.GetValue(Standardize))
        {
            (features, var z) = new Standardizer().FitTransform(x);
            x = z;
            xs = features.Transform(xs);
        }
        if (!_split || !r.GetValue(StandardizeTarget)) return (features, null);
        if (classification)
            throw new CliError("--standardize-target applies to regression targets; this target is class labels (one-hot inside).",
                "drop --standardize-target, or give --task regression for a numeric target.");
        var (target, zy) = new Standardizer().FitTransform(y);
        y = zy;
        return (features, target);
    }
}
