using System.CommandLine;
using Tangent.Data;
using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Cli;

/// <summary>
/// The file options of regress and predict: --x-train, --y-train, --x-test and --y-test (read with the
/// --header of <see cref="DataOptions"/>); the alternative to --data.
/// </summary>
internal sealed class TrainTestOptions(Option<CsvHeader> header, string yTestDescription = "Test targets: prints the test mean squared error.")
{
    public Option<FileInfo?> XTrain { get; } = new("--x-train") { Description = "Training inputs (.csv or .npy; a 4-D .npy holds images). Or use --data (one table) or --images." };
    public Option<FileInfo?> YTrain { get; } = new("--y-train") { Description = "Training targets, one row per input (.csv or .npy)." };
    public Option<FileInfo?> XTest { get; } = new("--x-test") { Description = "Test inputs." };
    public Option<FileInfo?> YTest { get; } = new("--y-test") { Description = yTestDescription };
    public Option<CsvHeader> Header { get; } = header;

    /// <summary>The four file options.</summary>
    public Option[] All => [XTrain, YTrain, XTest, YTest];

    public void AddTo(Command c)
    {
        foreach (var o in All) c.Options.Add(o);
    }

    /// <summary>
    /// Reads and checks every input — from --images or from the files — before any work: the training
    /// pair has one target row per input, the test inputs have the training features and image shape,
    /// and the test targets (from --y-test or the image labels) have one row per test input and the
    /// training targets' columns.
    /// </summary>
    public (Matrix X, Matrix Y, Matrix XTest, Matrix? YTest, ImageShape? Shape, bool FromImages) Read(ParseResult r, ImageInputs images, TextWriter output)
    {
        var csv = CliOptions.Csv(r, Header);
        if (r.GetValue(images.Images) is not null)
        {
            foreach (var o in new[] { XTrain, YTrain, XTest, YTest })
                if (r.GetValue(o) is not null)
                    throw new CliError($"give either --images or the --x-train/--y-train/--x-test/--y-test files, not both ({o.Name} was given with --images).");
            var set = images.Load(r)!;
            output.WriteLine(set.Description);
            return (set.XTrain, set.YTrain, set.XTest, set.YTest, set.Shape, true);
        }
        images.Load(r);   // checks that no image-only option was given
        if (r.GetValue(XTrain) is not { } fx || r.GetValue(YTrain) is not { } fy || r.GetValue(XTest) is not { } ft)
        {
            string missing = string.Join(", ", new[] { XTrain, YTrain, XTest }.Where(o => r.GetValue(o) is null).Select(o => o.Name));
            throw new CliError($"{missing} missing: give --x-train, --y-train and --x-test files, or an image data set with --images KIND:PATH.");
        }
        var (x, shape) = images.ReadInputs(r, fx.FullName, csv);
        var y = MatrixFile.Read(fy.FullName, csv);
        if (y.Rows != x.Rows)
            throw new CliError($"--x-train has {x.Rows} rows but --y-train has {y.Rows}{HeaderNote(fx.FullName, csv)}{HeaderNote(fy.FullName, csv)}; give one target row per input.");
        if (y.Cols == 0) throw new CliError($"--y-train '{fy.Name}' has no target columns; give at least one value per row.");
        var (xs, testShape) = images.ReadInputs(r, ft.FullName, csv);
        if (xs.Cols != x.Cols)
            throw new CliError($"--x-test has {xs.Cols} columns but --x-train has {x.Cols}; use the same features.");
        if (testShape != shape) throw new CliError($"--x-train holds images of {shape} but --x-test of {testShape}; use the same image shape.");
        Matrix? truth = null;
        if (r.GetValue(YTest) is { } fyt)
        {
            truth = MatrixFile.Read(fyt.FullName, csv);
            if (truth.Rows != xs.Rows || truth.Cols != y.Cols)
                throw new CliError($"--y-test is {truth.Shape} but {xs.Rows}×{y.Cols} is needed{HeaderNote(ft.FullName, csv)}{HeaderNote(fyt.FullName, csv)}: one row per --x-test input, as many columns as --y-train.");
        }
        (x, var xs2) = images.NormalizeIfAsked(r, x, xs, shape);
        return (x, y, xs2!, truth, shape, false);
    }

    /// <summary>
    /// When a CSV file's first row was taken as a header (a row with no number in it), says so: a row
    /// count that disagrees is then often a data row read as a header (or the other way round).
    /// </summary>
    private static string HeaderNote(string path, CsvReadOptions csv)
    {
        if (MatrixFile.FormatOf(path) != MatrixFileFormat.Csv) return "";
        var names = CsvFile.Read(path, csv).ColumnNames;
        if (names is null) return "";
        string first = string.Join(",", names);
        if (first.Length > 40) first = first[..37] + "…";
        return $" ('{Path.GetFileName(path)}' row 1, '{first}', was read as a header: give --header no if it is data)";
    }
}
