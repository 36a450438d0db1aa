using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Spectre.Console;
using Tangent.Data;
using Tangent.Dynamics;
using Tangent.Kernels;
using Tangent.Layers;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Cli;

/// <summary>
/// `tangent classify`: a whole classification task (docs/USER-GUIDE.md, "Classification"): a table (--data, --target) or an
/// image data set (--images), a kernel (--kernel, or --arch with --get), a classifier (--model svm|krr|gp), optionally
/// selected over a grid (--select, --grid); it fits the chosen model on every training row, scores the test rows and
/// reports the accuracy, the per-class precision and recall, the confusion matrix and the chosen hyperparameters
/// (--report DIR adds report.md, confusion.png and selection.csv), and saves the model (--save, tables only).
/// </summary>
internal static class ClassifyCommand
{
    /// <summary>The grid of an SVM when --select is given without --grid: C over six decades.</summary>
    internal const string SvmGrid = "c=0.01,0.1,1,10,100,1000,10000";

    private enum Classifier { Svm, Krr, Gp }

    /// <summary>Wide enough for a 10-class confusion matrix when the output is not a terminal (tests, files).</summary>
    private const int RedirectedWidth = 160;

    public static Command Create(TextWriter output)
    {
        var cmd = new Command("classify", "Classify a table (--data, --target) or images (--images) with an SVM, kernel regression or a GP (--model), " +
            "optionally selected over a grid (--select, --grid); report accuracy, per-class precision/recall, the confusion matrix and the chosen hyperparameters.");
        var data = new DataOptions();
        data.AddTo(cmd);
        var images = new ImageInputs();
        images.AddTo(cmd);
        var kernel = new KernelOptions(allowNone: false);
        kernel.AddTo(cmd);
        var model = new Option<string>("--model")
        {
            Description = "svm (a kernel support-vector machine, C-SVC one-vs-one), krr (kernel regression of the one-hot code, argmax) or gp " +
                "(the GP posterior mean of the one-hot code: kernel regression whose noise, the ridge, is chosen by the evidence; with --arch the NNGP). Default svm.",
            DefaultValueFactory = _ => "svm",
        };
        var c = CliOptions.Number("--C", "With --model svm: the box bound C > 0 (the soft-margin penalty; larger fits the training rows harder). Default 1; --select chooses it.", 1.0, NumberRange.Positive);
        var classWeight = new Option<string?>("--class-weight") { Description = "With --model svm: balanced (each class's C scaled by n / (k·n_class), scikit-learn's) or none (default)." };
        var ridge = CliOptions.Number("--ridge", "With --model krr or gp: the ridge λ ≥ 0 added to the kernel's diagonal (for gp: the noise variance, which the evidence chooses when --ridge is not given). Default 0.", 0.0, NumberRange.NonNegative);
        var relative = new Option<bool>("--ridge-relative") { Description = "λ is relative to the mean diagonal of the kernel matrix." };
        var select = new Option<string?>("--select")
        {
            Description = "Choose hyperparameters on the training rows: cv:K (k-fold), holdout:F, or evidence (GP marginal likelihood; krr and gp only, the default of gp).",
        };
        var grid = new Option<string?>("--grid")
        {
            Description = $"With --select: the settings to compare (docs/SELECTION.md). Default: svm \"{SvmGrid}\", krr and gp \"{FitCommand.DefaultGrid}\"; " +
                "with --arch also get=nngp,ntk unless --get is given (gp and evidence: the NNGP).",
        };
        var save = new Option<FileInfo?>("--save") { Description = "Write the fitted model (.tgm; tables only): apply it later with tangent predict --model." };
        var outFile = new Option<FileInfo?>("--out") { Description = "Write the predicted class of every test row (.csv)." };
        var report = new Option<DirectoryInfo?>("--report") { Description = "Write report.md, confusion.png and (with --select) selection.csv into this folder (created if missing)." };
        var provider = CommonOptions.Provider();
        foreach (var o in new Option[] { model, c, classWeight, ridge, relative, select, grid, save, outFile, report, provider }) cmd.Options.Add(o);

        cmd.SetAction(r =>
        {
            var clock = Stopwatch.StartNew();
            var timings = new List<(string Stage, double Seconds)>();
            void Lap(string stage)
            {
                timings.Add((stage, clock.Elapsed.TotalSeconds));
                clock.Restart();
            }

            // Every option is checked before any data are read; every output is written at the end, together (docs/RELIABILITY.md).
            bool Given(Option o) => r.GetResult(o) is { Implicit: false };
            var kind = ParseClassifier(r.GetValue(model));
            string modelName = kind.ToString().ToLowerInvariant();
            if (kind != Classifier.Svm)
                foreach (var o in new Option[] { c, classWeight })
                    if (Given(o))
                        throw new CliError($"{o.Name} applies to --model svm, not to --model {modelName}.", "drop it; kernel regression and the GP are regularised by --ridge.");
            if (kind == Classifier.Svm)
                foreach (var o in new Option[] { ridge, relative })
                    if (Given(o))
                        throw new CliError($"{o.Name} does not apply to --model svm: an SVM has no ridge, its regularisation is --C.", "drop it and give --C, or use --model krr.");
            bool balanced = ParseClassWeight(r.GetValue(classWeight));
            if (Given(data.StandardizeTarget))
                throw new CliError("--standardize-target applies to regression targets; classify regresses the one-hot code of the classes.", "drop --standardize-target.");
            if (Given(data.Task) && (r.GetValue(data.Task) ?? "").Trim().ToLowerInvariant() is not ("classification" or "classify" or "auto"))
                throw new CliError($"--task {r.GetValue(data.Task)}: classify predicts classes.", "drop --task, or give --task classification; for numeric targets use tangent fit.");

            var method = r.GetValue(select) is { } sel ? Parse(() => SelectionMethod.Parse(sel), "--select") : null;
            if (kind == Classifier.Gp && method is null && !Given(ridge)) method = SelectionMethod.Evidence;
            if (kind == Classifier.Gp && method is { Kind: not SelectionKind.Evidence })
                throw new CliError($"--model gp chooses its noise by the evidence, not by {method}.", $"use --select evidence (the default of gp), or --model krr --select {method}.");
            if (kind == Classifier.Svm && method is { Kind: SelectionKind.Evidence })
                throw new CliError("--select evidence needs a Gaussian process (--model gp or krr); an SVM has no marginal likelihood.", "select the SVM's C with --select cv:5 or holdout:0.2.");
            if (method is null && Given(grid))
                throw new CliError("--grid needs --select to say how to compare the settings.", $"e.g. --select cv:5 --grid \"{(kind == Classifier.Svm ? SvmGrid : "relridge=1e-3,1e-1")}\"");
            if (balanced && method is not null)
                throw new CliError("--class-weight balanced with --select: the selection scores unweighted SVMs, so it would choose C for another model.",
                    "select C without --class-weight, then refit with --C VALUE --class-weight balanced.");

            var outputs = new OutputPlan();
            string? savePath = r.GetValue(save) is { } sf ? CheckSave(sf, outputs) : null;
            if (savePath is not null && (r.GetValue(images.Images) is not null || r.GetValue(images.ImageShapeOption) is not null))
                throw new CliError("--save: a model of images is not saved yet (the .tgm file holds a table's model, not the image shape or the channel normalisation).",
                    "drop --save; --out and --report keep the predictions and the scores.");
            string? outPath = null;
            if (r.GetValue(outFile) is { } of)
            {
                outPath = FitCommand.CsvOutPath(of);
                outputs.Reserve("--out", outPath);
            }
            string? reportDir = r.GetValue(report) is { } rd ? CheckReport(rd, outputs, method is not null) : null;
            kernel.Validate(r);
            bool explicitGet = Given(kernel.Get);
            var get = explicitGet ? KernelOptions.ParseGet(r.GetValue(kernel.Get)) : kind == Classifier.Gp || method is { Kind: SelectionKind.Evidence } ? KernelOutputs.Nngp : KernelOutputs.Ntk;
            if (kind == Classifier.Gp && r.GetValue(kernel.Arch) is not null && get != KernelOutputs.Nngp)
                throw new CliError("--model gp is the posterior mean of the network's Gaussian-process prior, its NNGP; --get ntk is not a prior.", "drop --get (gp uses the NNGP), or use --model krr or svm with --get ntk.");
            var compute = CommonOptions.ComputeOptionsFrom(r, provider, images);

            // The data: a table, or images with their class names.
            var set = LoadData(r, data, images, output);
            var (train, test) = (set.Train, set.Test);
            output.WriteLine($"data: {set.Description}; {train.Count} training and {test.Count} test rows, {train.X.Cols} features, {train.Labels!.Count} classes ({train.Labels.Describe()})");
            Lap("read the data");

            var spec = BaseSpec(r, kernel, kind, get, c, ridge, relative, data, set);
            spec.Validate();
            SelectionResult? selection = null;
            if (method is not null)
            {
                string gridText = r.GetValue(grid) ?? DefaultGrid(kind, spec, explicitGet, method);
                var hyper = Parse(() => HyperGrid.Parse(gridText), "--grid");
                if (set.Shape is not null && hyper["arch"] is not null && spec.Architecture is null)
                    throw new CliError("--grid arch=…: with image inputs and a classical --kernel the grid's architectures would have no image shape.",
                        "give an --arch as well (the grid's architectures take its image shape), or select over the classical kernel's settings.");
                output.WriteLine($"selecting by {method} over \"{hyper}\"");
                selection = CliProgress.Run($"select ({method})", p => ModelSelection.Select(spec, hyper, method, train, r.GetValue(data.Seed), compute, p));
                spec = selection.Best;
                foreach (var note in selection.Notes) output.WriteLine($"note: {note}");
                Lap($"selection ({selection.Rows.Count} settings)");
            }
            var svmSettings = spec.Model == ClassifierKind.Svm ? new SupportVectorClassifier { BalancedClassWeights = balanced } : null;
            var fitted = CliProgress.Run($"fit ({train.Count} rows)", p => TabularModel.Fit(spec, train, compute with { Progress = p }, svmSettings, selection?.BestTrainingKernel));
            Lap("fit: training kernel and solve");
            var prediction = CliProgress.Run($"predict ({test.Count} rows)", p => fitted.Predict(test.X, compute with { Progress = p }));
            if (!prediction.Mean.AllFinite())
                throw new CliError("the test predictions are not finite; nothing was written.", RegressCommand.PredictionFix);
            Lap("predict: test kernel");

            var classes = fitted.Labels!.Classes;
            var scores = Metrics.Classification(fitted.Labels.Indices(test.RawLabels!), fitted.Labels.Indices(prediction.Labels!), classes);
            var chosen = Hyperparameters(fitted, kind, method, selection, balanced);
            var console = Terminal.For(output);
            if (!ReferenceEquals(output, Console.Out) || Console.IsOutputRedirected) console.Profile.Width = RedirectedWidth;
            if (selection is not null) PrintSelection(console, selection);
            PrintChosen(console, chosen);
            output.WriteLine($"test ({test.Count} rows): accuracy {scores.Accuracy.ToString("P2", CultureInfo.InvariantCulture)} ({Hits(scores)} of {test.Count})");
            PrintConfusion(console, scores);
            TangentCli.Cancellation.ThrowIfCancellationRequested();

            if (outPath is not null) outputs.AddFile("--out", outPath, "test predictions", p => FitCommand.WritePredictions(p, fitted, prediction));
            if (savePath is not null) outputs.AddFile("--save", savePath, "model", fitted.Save);
            bool created = false;
            if (reportDir is not null)
            {
                var md = ReportMarkdown(CommonOptions.CommandLine(r), set.Description, fitted, scores, chosen, method, selection, timings);
                outputs.AddFile("--report", Path.Combine(reportDir, "report.md"), "report", p => AtomicFile.WriteAllText(p, md));
                outputs.AddPng("--report", Path.Combine(reportDir, "confusion.png"), ConfusionPng(scores), "confusion matrix");
                if (selection is not null)
                    outputs.AddFile("--report", Path.Combine(reportDir, "selection.csv"), "selection table", p => AtomicFile.WriteAllText(p, SelectionCsv(selection)));
                created = !Directory.Exists(reportDir);
                if (created) Directory.CreateDirectory(reportDir);
            }
            try
            {
                outputs.WriteAll(output);
            }
            catch when (created)
            {
                try { Directory.Delete(reportDir!); } catch (IOException) { }
                throw;
            }
            if (savePath is not null)
                output.WriteLine($"apply the model: tangent predict --model {Path.GetFileName(savePath)} --data NEW.csv --out predictions.csv");
            return TangentCli.Ok;
        });
        return cmd;
    }

    private static T Parse<T>(Func<T> parse, string option)
    {
        try
        {
            return parse();
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            throw new CliError($"{option}: {e.Message}");
        }
    }

    private static Classifier ParseClassifier(string? value) => (value ?? "").Trim().ToLowerInvariant() switch
    {
        "svm" => Classifier.Svm,
        "krr" => Classifier.Krr,
        "gp" => Classifier.Gp,
        var v => throw new CliError($"--model must be svm, krr or gp, not '{value}'.",
            ParseErrors.Nearest(v, ["svm", "krr", "gp"]) is { } near ? $"did you mean --model {near}?"
                : "svm: a support-vector machine; krr: kernel regression of the one-hot code; gp: the same with the noise chosen by the evidence."),
    };

    private static bool ParseClassWeight(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "none" => false,
        "balanced" => true,
        _ => throw new CliError($"--class-weight must be balanced or none, not '{value}'.", "balanced scales each class's C by n / (k·n_class), for unequal class sizes."),
    };

    private static string CheckSave(FileInfo file, OutputPlan outputs)
    {
        string full = file.FullName;
        if (!full.EndsWith(".tgm", StringComparison.OrdinalIgnoreCase))
            throw new CliError($"--save '{file}': a model file ends in .tgm.", $"e.g. --save {Path.ChangeExtension(file.Name, ".tgm")}");
        if (Directory.Exists(full)) throw new CliError($"--save '{file}' is a folder; give a file name.", "e.g. --save model.tgm");
        string dir = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(dir)) throw new CliError($"--save '{file}': the folder '{dir}' does not exist.", "create it first (mkdir -p) or give another path.");
        outputs.Reserve("--save", full);
        return full;
    }

    /// <summary>The --report folder: a folder, or a new one in an existing folder; its files are reserved against the other outputs.</summary>
    private static string CheckReport(DirectoryInfo dir, OutputPlan outputs, bool withSelection)
    {
        string full = dir.FullName;
        if (File.Exists(full)) throw new CliError($"--report '{dir}' is a file; give a folder for report.md, confusion.png and selection.csv.", "e.g. --report report");
        string parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(full)) ?? ".";
        if (!Directory.Exists(full) && !Directory.Exists(parent))
            throw new CliError($"--report '{dir}': the folder '{parent}' does not exist.", "create it first (mkdir -p) or give another path.");
        foreach (var name in withSelection ? new[] { "report.md", "confusion.png", "selection.csv" } : ["report.md", "confusion.png"])
            outputs.Reserve("--report", Path.Combine(full, name));
        return full;
    }

    /// <summary>The data of one run: the training and test rows as classification tables, and the image shape of image inputs.</summary>
    private sealed record ClassificationData(LabeledData Train, LabeledData Test, ImageShape? Shape, string Description);

    private static ClassificationData LoadData(ParseResult r, DataOptions data, ImageInputs images, TextWriter output)
    {
        data.RefuseMixed(r, "--images KIND:PATH", images.Images);
        if (r.GetValue(images.Images) is not null)
        {
            if (r.GetResult(images.ImageShapeOption) is { Implicit: false })
                throw new CliError("--image-shape applies to flat image rows given with --data; --images gives the shape.", "drop --image-shape.");
            var split = images.Load(r)!;
            var names = split.ClassNames ?? Enumerable.Range(0, split.YTrain.Cols).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
            var encoder = new LabelEncoder(names);
            var features = Enumerable.Range(1, split.Shape.Features).Select(i => "p" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
            LabeledData Table(Matrix x, Matrix y) =>
                new(x, y, features, ["label"], TaskKind.Classification, encoder, encoder.Decode(y));
            if (split.XTrain.Rows == 0 || split.XTest.Rows == 0)
                throw new CliError($"--images: {split.Description}: no {(split.XTrain.Rows == 0 ? "training" : "test")} images are left.", "check --classes and --limit.");
            return new ClassificationData(Table(split.XTrain, split.YTrain), Table(split.XTest, split.YTest), split.Shape, split.Description);
        }
        if (!data.Given(r))
            throw new CliError("no data: give a table with --data FILE --target COLUMN, or images with --images KIND:PATH.",
                "e.g. --data iris.csv --target label, or --images fashion-mnist:/usr/share/datasets/fashion-mnist --limit 1000");
        images.Load(r);   // refuses the image-only options without --images
        var set = data.Load(r, needTest: true, needTarget: true);
        set.PrintWarnings(output);
        var train = set.Train;
        var test = set.Test!;
        if (train.Task != TaskKind.Classification)
            throw new CliError($"--target {train.TargetNames[0]} holds numbers with many values, a regression target; classify predicts classes.",
                "give --task classification to take each value as a class, or use tangent fit for a regression.");
        ImageShape? shape = null;
        if (r.GetValue(images.ImageShapeOption) is { } text)
        {
            shape = Parse(() => ImageShape.Parse(text), "--image-shape");
            if (shape.Value.Features != train.X.Cols)
                throw new CliError($"--image-shape {shape.Value} has {shape.Value.Features} features but the table has {train.X.Cols} feature columns.", "give H×W×C with H·W·C equal to the feature count, e.g. 8x8x1 for 64 columns.");
        }
        var (x, xs) = images.NormalizeIfAsked(r, train.X, test.X, shape);
        return new ClassificationData(train with { X = x }, test with { X = xs! }, shape, $"{Path.GetFileName(r.GetValue(data.Data)!.FullName)}, target {train.TargetNames[0]}");
    }

    /// <summary>The model the options describe, before selection.</summary>
    private static ModelSpec BaseSpec(ParseResult r, KernelOptions kernel, Classifier kind, KernelOutputs get, Option<double> c, Option<double> ridge,
        Option<bool> relative, DataOptions data, ClassificationData set)
    {
        double lambda = r.GetValue(ridge);
        var spec = new ModelSpec
        {
            Model = kind == Classifier.Svm ? ClassifierKind.Svm : ClassifierKind.KernelRegression,
            C = r.GetValue(c),
            Ridge = kind == Classifier.Svm ? Ridge.None : r.GetValue(relative) ? Ridge.Relative(lambda) : Ridge.Absolute(lambda),
            StandardizeFeatures = r.GetValue(data.Standardize),
        };
        if (r.GetValue(kernel.Arch) is { } text)
        {
            var arch = Architecture.Parse(text);
            return spec with { Architecture = set.Shape is { } shape ? arch.WithInputShape(shape) : arch, Get = get };
        }
        return spec with { Kernel = (ClassicalKernel)kernel.Resolve(r, set.Train.X.Cols)! };
    }

    /// <summary>The grid when --select is given without --grid.</summary>
    private static string DefaultGrid(Classifier kind, ModelSpec spec, bool explicitGet, SelectionMethod method)
    {
        string grid = kind == Classifier.Svm ? SvmGrid : FitCommand.DefaultGrid;
        return spec.Architecture is not null && !explicitGet && method.Kind != SelectionKind.Evidence ? grid + "; get=nngp,ntk" : grid;
    }

    private static int Hits(ClassificationReport s) => Enumerable.Range(0, s.Classes.Count).Sum(i => s.ConfusionMatrix[i][i]);

    private static string F(double v, string format = "G4") => v.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>The chosen model's settings as (name, value) rows, for the console and the report.</summary>
    private static List<(string Name, string Value)> Hyperparameters(TabularModel m, Classifier kind, SelectionMethod? method, SelectionResult? selection, bool balanced)
    {
        var s = m.Spec;
        var rows = new List<(string, string)>();
        bool svm = s.Model == ClassifierKind.Svm;
        rows.Add(("model", svm ? "svm (C-SVC, one-vs-one)" : kind == Classifier.Gp ? "gp (GP posterior mean of the one-hot code)" : "krr (kernel regression of the one-hot code)"));
        rows.Add(("kernel", s.DescribeKernel()));
        if (svm)
        {
            rows.Add(("C", F(s.C, "G6")));
            rows.Add(("class weights", balanced ? "balanced" : "none"));
            var sv = m.Svm!;
            rows.Add(("support vectors", $"{sv.SupportIndices.Count} of {m.TrainCount} training rows" + (sv.Converged ? "" : " (not converged)")));
        }
        else
        {
            string given = s.Ridge.RelativeToMeanDiagonal ? $" ({F(s.Ridge.Value, "G6")} × mean diag K)" : "";
            rows.Add((kind == Classifier.Gp ? "noise λ" : "ridge λ", F(m.RidgeValue, "G6") + given));
        }
        rows.Add(("standardized features", s.StandardizeFeatures ? "yes" : "no"));
        if (method is not null && selection is not null)
            rows.Add(("chosen by", $"{method}, {selection.ScoreName} {F(selection.BestRow.Score, "G6")} ({selection.BestRow.Label})"));
        else if (kind == Classifier.Gp)
            rows.Add(("chosen by", "given (--ridge)"));
        else
            rows.Add(("chosen by", "given (no --select)"));
        return rows;
    }

    private static void PrintChosen(IAnsiConsole console, List<(string Name, string Value)> rows)
    {
        console.WriteLine("chosen hyperparameters:");
        var table = new Table().AddColumns("setting", "value");
        foreach (var (name, value) in rows) table.AddRow(Markup.Escape(name), Markup.Escape(value));
        console.Write(table);
    }

    private static void PrintSelection(IAnsiConsole console, SelectionResult result)
    {
        var order = Ranked(result).Take(10).ToList();
        console.WriteLine($"selection: {result.Rows.Count} settings, {result.ScoreName} ({(result.HigherIsBetter ? "higher" : "lower")} is better); the best {order.Count}:");
        var table = new Table().AddColumns("", "setting", Markup.Escape(result.ScoreName), "note");
        foreach (var (row, i) in order)
            table.AddRow(i == result.BestIndex ? "*" : "", Markup.Escape(row.Label), F(row.Score, "G6"), Markup.Escape(row.Note ?? ""));
        console.Write(table);
    }

    /// <summary>The rows best first (NaN last), with their grid index.</summary>
    private static IEnumerable<(SelectionRow Row, int Index)> Ranked(SelectionResult result)
    {
        var rows = result.Rows.Select((row, i) => (row, i));
        return result.HigherIsBetter ? rows.OrderByDescending(t => double.IsNaN(t.row.Score) ? double.NegativeInfinity : t.row.Score)
                                     : rows.OrderBy(t => double.IsNaN(t.row.Score) ? double.PositiveInfinity : t.row.Score);
    }

    /// <summary>The confusion matrix (counts; with more than <see cref="NamedColumns"/> classes the columns are numbered and the rows
    /// say which class each number is), then each class's precision, recall, F1 and support.</summary>
    private static void PrintConfusion(IAnsiConsole console, ClassificationReport s)
    {
        int k = s.Classes.Count;
        // Numbered columns only when the names would not fit and are not the numbers already.
        bool named = k <= NamedColumns || Enumerable.Range(0, k).All(j => s.Classes[j] == j.ToString(CultureInfo.InvariantCulture));
        console.WriteLine("confusion matrix (rows: true class, columns: predicted class):");
        var table = new Table().AddColumn(new TableColumn("true \\ predicted").NoWrap());
        for (int j = 0; j < k; j++) table.AddColumn(new TableColumn(Markup.Escape(named ? s.Classes[j] : j.ToString(CultureInfo.InvariantCulture))).RightAligned());
        for (int i = 0; i < k; i++)
            table.AddRow([Markup.Escape(named ? s.Classes[i] : $"{i} {s.Classes[i]}"), .. s.ConfusionMatrix[i].Select(v => v.ToString(CultureInfo.InvariantCulture))]);
        console.Write(table);
        var scores = new Table().AddColumns("class", "precision", "recall", "F1", "support");
        foreach (var p in s.PerClass.Append(s.MacroAverage).Append(s.WeightedAverage))
            scores.AddRow(Markup.Escape(p.Class), F(p.Precision, "F3"), F(p.Recall, "F3"), F(p.F1, "F3"), p.Support.ToString(CultureInfo.InvariantCulture));
        console.Write(scores);
    }

    /// <summary>Up to this many classes the confusion matrix's columns carry the class names.</summary>
    private const int NamedColumns = 5;

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);

    /// <summary>report.md: the command, the data, the accuracy, the chosen hyperparameters, per-class scores, the confusion matrix,
    /// the selection table and the timings.</summary>
    private static string ReportMarkdown(string commandLine, string data, TabularModel m, ClassificationReport s, List<(string Name, string Value)> chosen,
        SelectionMethod? method, SelectionResult? selection, List<(string Stage, double Seconds)> timings)
    {
        var sb = new StringBuilder();
        sb.Append("# Classification report\n\n");
        sb.Append($"`{commandLine}`\n\n");
        sb.Append($"Data: {data}; {m.TrainCount} training rows, {s.PerClass.Sum(p => p.Support)} test rows, {s.Classes.Count} classes. Tangent {TabularModel.LibraryVersion}.\n\n");
        sb.Append($"## Test accuracy\n\n**{F(s.Accuracy, "P2")}** ({Hits(s)} of {s.PerClass.Sum(p => p.Support)} test rows)\n\n");
        sb.Append("## Chosen hyperparameters\n\n| setting | value |\n|---|---|\n");
        foreach (var (name, value) in chosen) sb.Append($"| {Cell(name)} | {Cell(value)} |\n");
        sb.Append("\n## Per-class scores\n\n| class | precision | recall | F1 | support |\n|---|---|---|---|---|\n");
        foreach (var p in s.PerClass.Append(s.MacroAverage).Append(s.WeightedAverage))
            sb.Append($"| {Cell(p.Class)} | {F(p.Precision, "F4")} | {F(p.Recall, "F4")} | {F(p.F1, "F4")} | {p.Support} |\n");
        sb.Append("\n## Confusion matrix\n\nRows: true class; columns: predicted class.\n\n| true \\ predicted | ");
        sb.Append(string.Join(" | ", s.Classes.Select(Cell))).Append(" |\n|---|").Append(string.Concat(s.Classes.Select(_ => "---:|"))).Append('\n');
        for (int i = 0; i < s.Classes.Count; i++)
            sb.Append($"| {Cell(s.Classes[i])} | ").Append(string.Join(" | ", s.ConfusionMatrix[i])).Append(" |\n");
        sb.Append("\n![confusion matrix](confusion.png)\n");
        if (selection is not null)
        {
            sb.Append($"\n## Selection\n\n{method}, {selection.ScoreName} ({(selection.HigherIsBetter ? "higher" : "lower")} is better), {selection.Rows.Count} settings, best first; all of them in selection.csv.\n\n");
            sb.Append($"| | setting | {selection.ScoreName} | per fold | note |\n|---|---|---|---|---|\n");
            foreach (var (row, i) in Ranked(selection))
                sb.Append($"| {(i == selection.BestIndex ? "**chosen**" : "")} | {Cell(row.Label)} | {F(row.Score, "G6")} | {string.Join(", ", row.FoldScores.Select(v => F(v, "G4")))} | {Cell(row.Note ?? "")} |\n");
            foreach (var note in selection.Notes) sb.Append($"\nNote: {note}\n");
        }
        sb.Append("\n## Timings\n\n| stage | seconds |\n|---|---:|\n");
        foreach (var (stage, seconds) in timings) sb.Append($"| {Cell(stage)} | {F(seconds, "F2")} |\n");
        sb.Append($"| total | {F(timings.Sum(t => t.Seconds), "F2")} |\n");
        return sb.ToString();
    }

    /// <summary>selection.csv: one row per grid point in grid order: setting, score, one column per fold, note, chosen (1 or 0).</summary>
    private static string SelectionCsv(SelectionResult result)
    {
        int folds = result.Rows.Max(r => r.FoldScores.Count);
        var sb = new StringBuilder();
        sb.Append("setting,").Append(Quote(result.ScoreName));
        for (int f = 1; f <= folds; f++) sb.Append(",fold").Append(f.ToString(CultureInfo.InvariantCulture));
        sb.Append(",note,chosen\n");
        for (int i = 0; i < result.Rows.Count; i++)
        {
            var row = result.Rows[i];
            sb.Append(Quote(row.Label)).Append(',').Append(F(row.Score, "R"));
            for (int f = 0; f < folds; f++) sb.Append(',').Append(f < row.FoldScores.Count ? F(row.FoldScores[f], "R") : "");
            sb.Append(',').Append(Quote(row.Note ?? "")).Append(',').Append(i == result.BestIndex ? '1' : '0').Append('\n');
        }
        return sb.ToString();
    }

    private static string Quote(string v) =>
        v.IndexOfAny([',', '"', '\n', '\r']) >= 0 || (v.Length > 0 && (char.IsWhiteSpace(v[0]) || char.IsWhiteSpace(v[^1])))
            ? "\"" + v.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : v;

    /// <summary>The confusion matrix as a heatmap: each cell shaded by its fraction of the true class's rows (the recall on the
    /// diagonal), labelled with its count; true classes top to bottom, predicted classes left to right.</summary>
    private static byte[] ConfusionPng(ClassificationReport s)
    {
        int k = s.Classes.Count;
        var shade = new double[k, k];
        for (int i = 0; i < k; i++)
        {
            int total = s.ConfusionMatrix[i].Sum();
            for (int j = 0; j < k; j++) shade[i, j] = total == 0 ? 0 : (double)s.ConfusionMatrix[i][j] / total;
        }
        var plt = new ScottPlot.Plot();
        var map = plt.Add.Heatmap(shade);
        map.Colormap = new ScottPlot.Colormaps.Viridis();
        map.ManualRange = new ScottPlot.Range(0, 1);
        map.Rectangle = new ScottPlot.CoordinateRect(-0.5, k - 0.5, -0.5, k - 0.5);   // cell (i, j) centred at x = j, y = k − 1 − i (row 0 on top)
        int size = Math.Clamp(14 - k / 2, 7, 14);
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
            {
                var text = plt.Add.Text(s.ConfusionMatrix[i][j].ToString(CultureInfo.InvariantCulture), j, k - 1 - i);
                text.LabelAlignment = ScottPlot.Alignment.MiddleCenter;
                text.LabelFontSize = size;
                text.LabelFontColor = shade[i, j] > 0.6 ? ScottPlot.Colors.Black : ScottPlot.Colors.White;
            }
        plt.Add.ColorBar(map).Label = "fraction of the true class";
        plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(Enumerable.Range(0, k).Select(j => new ScottPlot.Tick(j, s.Classes[j])).ToArray());
        plt.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(Enumerable.Range(0, k).Select(i => new ScottPlot.Tick(k - 1 - i, s.Classes[i])).ToArray());
        if (k > 4)
        {
            plt.Axes.Bottom.TickLabelStyle.Rotation = -30;
            plt.Axes.Bottom.TickLabelStyle.Alignment = ScottPlot.Alignment.MiddleRight;
        }
        plt.Axes.SetLimits(-0.5, k - 0.5, -0.5, k - 0.5);
        plt.Title($"Confusion matrix: accuracy {F(s.Accuracy, "P2")} on {s.PerClass.Sum(p => p.Support)} test rows");
        plt.XLabel("predicted class");
        plt.YLabel("true class");
        return plt.GetImageBytes(760, 680, ScottPlot.ImageFormat.Png);
    }
}
