using System.CommandLine;
using System.Globalization;
using Tangent.Data;
using Tangent.Dynamics;
using Tangent.Kernels;
using Tangent.Layers;
using Tangent.Models;

namespace Tangent.Cli;

/// <summary>
/// `tangent fit`: a user's table in, a fitted (optionally selected) model out (docs/USER-GUIDE.md): reads
/// --data with its --target, splits off test rows, selects hyperparameters over --grid by --select
/// (k-fold, hold-out or the evidence, which is then maximized over the continuous hyperparameters with its
/// gradient), fits the chosen model on all training rows with its preprocessing, reports the test metrics
/// and saves the model (--save model.tgm, applied later by `tangent predict --model`).
/// </summary>
internal static class FitCommand
{
    /// <summary>The grid used when --select is given without --grid: the ridge over six decades (relative to
    /// the kernel's mean diagonal), and for an architecture both of its kernels.</summary>
    internal const string DefaultGrid = "relridge=1e-6,1e-4,1e-3,1e-2,1e-1,1,10";

    public static Command Create(TextWriter output)
    {
        var cmd = new Command("fit", "Fit a kernel model to a table (--data, --target), optionally selected over a grid (--select, --grid); report test metrics and save it (--save).");
        var data = new DataOptions();
        data.AddTo(cmd);
        var kernel = new KernelOptions(allowNone: false);
        kernel.AddTo(cmd);
        var ridge = CliOptions.Number("--ridge", "Ridge λ ≥ 0 added to the kernel's diagonal (for a GP: the noise variance). Default 0; --select chooses it.", 0.0, NumberRange.NonNegative);
        var relative = new Option<bool>("--ridge-relative") { Description = "λ is relative to the mean diagonal of the kernel matrix." };
        var time = new Option<string>("--time") { Description = "With --arch: training time t ≥ 0 of gradient flow, or inf (kernel regression).", DefaultValueFactory = _ => "inf" };
        var select = new Option<string?>("--select") { Description = "Choose hyperparameters: cv:K (k-fold), holdout:F (fraction F held out) or evidence (GP marginal likelihood, then maximized over σw, σb/γ and the noise)." };
        var grid = new Option<string?>("--grid") { Description = $"With --select: the settings to compare, e.g. \"relridge=1e-3,1e-1; gamma=0.01,0.1\" (docs/SELECTION.md). Default: \"{DefaultGrid}\" (and get=nngp,ntk with --arch)." };
        var save = new Option<FileInfo?>("--save") { Description = "Write the fitted model (.tgm): apply it later with tangent predict --model." };
        var outFile = new Option<FileInfo?>("--out") { Description = "Write the test predictions (.csv): the label for classification, the targets for regression." };
        var provider = CommonOptions.Provider();
        foreach (var o in new Option[] { ridge, relative, time, select, grid, save, outFile, provider }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            // Every option is checked before the data are read; the model is written last, after every check (docs/RELIABILITY.md).
            string? savePath = CheckSave(r.GetValue(save));
            string? outPath = r.GetValue(outFile) is { } of ? CheckOut(of, savePath) : null;
            kernel.Validate(r);
            var method = r.GetValue(select) is { } sel ? Parse(() => SelectionMethod.Parse(sel), "--select") : null;
            if (method is null && r.GetValue(grid) is not null)
                throw new CliError("--grid needs --select to say how to compare the settings.", "e.g. --select cv:5 --grid \"relridge=1e-3,1e-1\"");
            double t = PredictCommand.ParseTimes(r.GetValue(time) ?? "inf") is [var single] ? single
                : throw new CliError("--time takes one training time for fit.", "e.g. --time 100 or --time inf");
            var compute = CommonOptions.ComputeOptionsFrom(r, provider, null);

            var set = data.Load(r, needTest: true, needTarget: true);
            set.PrintWarnings(output);
            var train = set.Train;
            var test = set.Test!;
            output.WriteLine($"data: {train.Count} training and {test.Count} test rows, {train.X.Cols} features, " +
                (train.Task == TaskKind.Classification ? $"classification into {train.Labels!.Count} classes ({train.Labels.Describe()})" : $"regression of {string.Join(", ", train.TargetNames)}"));

            var spec = BaseSpec(r, kernel, train.X.Cols, ridge, relative, t, data);
            spec.Validate();
            Tangent.Numerics.Matrix? selectedKernel = null;
            if (method is not null)
            {
                var hyper = Parse(() => HyperGrid.Parse(r.GetValue(grid) ?? (spec.Architecture is not null && double.IsPositiveInfinity(t) && method.Kind != SelectionKind.Evidence
                    ? DefaultGrid + "; get=nngp,ntk" : DefaultGrid)), "--grid");
                var result = CliProgress.Run($"select ({method})", p => ModelSelection.Select(spec, hyper, method, train, r.GetValue(data.Seed), compute, p));
                PrintTable(output, result);
                spec = result.Best;
                selectedKernel = result.BestTrainingKernel;   // the fit reuses it (not after the evidence moves the spec)
                if (method.Kind == SelectionKind.Evidence)
                {
                    selectedKernel = null;
                    var opt = CliProgress.Run("maximize the evidence", p => EvidenceOptimizer.Maximize(spec, train, null, compute, p));
                    output.WriteLine($"evidence maximized from the grid's best: log p(Y|X) = {opt.LogLikelihood:G6} after {opt.Trace.Count} steps ({opt.StopReason})");
                    spec = opt.Best;
                }
            }
            var model = CliProgress.Run("fit", p => TabularModel.Fit(spec, train, compute with { Progress = p }, null, selectedKernel));
            output.WriteLine($"model: {Describe(model)}");
            var evaluation = model.Evaluate(test, compute);
            var prediction = model.Predict(test.X, test.FeatureNames, compute);
            if (!prediction.Mean.AllFinite())
                throw new CliError("the test predictions are not finite; nothing was written.", RegressCommand.PredictionFix);
            PrintEvaluation(output, evaluation);
            token().ThrowIfCancellationRequested();
            if (outPath is not null) WritePredictions(outPath, model, prediction);
            if (savePath is not null) model.Save(savePath);
            if (outPath is not null) output.WriteLine($"wrote test predictions to {outPath}");
            if (savePath is not null) output.WriteLine($"saved the model to {savePath} (apply it: tangent predict --model {Path.GetFileName(savePath)} --data NEW.csv --out predictions.csv)");
            return TangentCli.Ok;
        });
        return cmd;

        static CancellationToken token() => TangentCli.Cancellation;
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

    /// <summary>The model the options describe, before selection.</summary>
    private static ModelSpec BaseSpec(ParseResult r, KernelOptions kernel, int features, Option<double> ridge, Option<bool> relative, double time, DataOptions data)
    {
        double lambda = r.GetValue(ridge);
        var spec = new ModelSpec
        {
            Ridge = r.GetValue(relative) ? Ridge.Relative(lambda) : Ridge.Absolute(lambda),
            Time = time,
            StandardizeFeatures = r.GetValue(data.Standardize),
            StandardizeTarget = r.GetValue(data.StandardizeTarget),
        };
        if (r.GetValue(kernel.Arch) is { } arch)
        {
            if (r.GetResult(kernel.Gamma) is { Implicit: false })
                throw new CliError("--gamma does not apply to --arch.", "drop --gamma; select σw, σb with --grid \"w=…; b=…\".");
            return spec with { Architecture = Architecture.Parse(arch), Get = KernelOptions.ParseGet(r.GetValue(kernel.Get)) };
        }
        if (!double.IsPositiveInfinity(time))
            throw new CliError("--time applies to a network's kernel (--arch), not to a classical kernel.", "drop --time, or give --arch SPEC.");
        return spec with { Kernel = (ClassicalKernel)kernel.Resolve(r, features)! };
    }

    private static string? CheckSave(FileInfo? file)
    {
        if (file is null) return null;
        string full = file.FullName;
        if (!full.EndsWith(".tgm", StringComparison.OrdinalIgnoreCase))
            throw new CliError($"--save '{file}': a model file ends in .tgm.", $"e.g. --save {Path.ChangeExtension(file.Name, ".tgm")}");
        if (Directory.Exists(full)) throw new CliError($"--save '{file}' is a folder; give a file name.", "e.g. --save model.tgm");
        string dir = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(dir)) throw new CliError($"--save '{file}': the folder '{dir}' does not exist.", "create it first (mkdir -p) or give another path.");
        return full;
    }

    private static string CheckOut(FileInfo file, string? savePath)
    {
        string full = CsvOutPath(file);
        if (string.Equals(full, savePath, StringComparison.Ordinal)) throw new CliError("--out and --save name the same file.", "give each its own file.");
        return full;
    }

    /// <summary>The full path of an --out predictions file: a CSV in an existing folder.</summary>
    internal static string CsvOutPath(FileInfo file)
    {
        string full = file.FullName;
        if (!full.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
            throw new CliError($"--out '{file}': predictions are written as CSV with a header; end the name in .csv.");
        string dir = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(dir)) throw new CliError($"--out '{file}': the folder '{dir}' does not exist.", "create it first (mkdir -p) or give another path.");
        return full;
    }

    private static string Describe(TabularModel m)
    {
        var s = m.Spec;
        var parts = new List<string> { s.DescribeKernel(), $"λ = {m.RidgeValue.ToString("G4", CultureInfo.InvariantCulture)}" };
        if (s.Architecture is not null) parts.Add("t = " + OutputPlan.FormatTime(s.Time));
        if (s.StandardizeFeatures) parts.Add("standardized features");
        if (s.StandardizeTarget && m.Task == TaskKind.Regression) parts.Add("standardized target");
        return string.Join(", ", parts) + $"; fitted on {m.TrainCount} rows";
    }

    private static void PrintTable(TextWriter output, SelectionResult result)
    {
        var rows = result.Rows.Select((row, i) => (row, i)).ToList();
        var order = result.HigherIsBetter ? rows.OrderByDescending(t => double.IsNaN(t.row.Score) ? double.NegativeInfinity : t.row.Score)
                                          : rows.OrderBy(t => double.IsNaN(t.row.Score) ? double.PositiveInfinity : t.row.Score);
        output.WriteLine($"selection: {result.Rows.Count} settings, {result.ScoreName} ({(result.HigherIsBetter ? "higher" : "lower")} is better); the best 10:");
        foreach (var (row, i) in order.Take(10))
            output.WriteLine($"  {(i == result.BestIndex ? "*" : " ")} {row.Score.ToString("G6", CultureInfo.InvariantCulture),12}  {row.Label}{(row.Note is null ? "" : "  (" + row.Note + ")")}");
        output.WriteLine($"chosen: {result.BestRow.Label}");
    }

    internal static void PrintEvaluation(TextWriter output, ModelEvaluation e, string what = "test")
    {
        if (e.Regression is { } reg)
            output.WriteLine($"{what} ({e.Count} rows): MSE {reg.MeanSquaredError:G6}, R² {reg.RSquared:F4}, MAE {reg.MeanAbsoluteError:G6}");
        if (e.Classification is { } c)
        {
            output.WriteLine($"{what} ({e.Count} rows): accuracy {c.Accuracy:P2}" + (c.LogLoss is { } ll ? $", log-loss {ll:G4}" : ""));
            output.WriteLine("confusion matrix (rows: true class, columns: predicted):");
            int width = Math.Max(6, c.Classes.Max(s => s.Length) + 1);
            output.WriteLine(new string(' ', width) + string.Concat(c.Classes.Select(s => s.PadLeft(width))));
            for (int i = 0; i < c.Classes.Count; i++)
                output.WriteLine(c.Classes[i].PadLeft(width) + string.Concat(c.ConfusionMatrix[i].Select(v => v.ToString(CultureInfo.InvariantCulture).PadLeft(width))));
        }
        if (e.Calibration is { } cal && e.Regression is not null)
            output.WriteLine($"calibration of the predictive variance: {cal.WithinOneSigma:P1} of test targets within ±1σ (68.3 % if calibrated), {cal.Within196Sigma:P1} within ±1.96σ (95 %)");
    }

    /// <summary>The predictions as a CSV with a header: the label column (classification) or the target columns
    /// (the writers of <see cref="CsvFile"/>, atomic, cells quoted where needed).</summary>
    internal static void WritePredictions(string path, TabularModel model, TabularPrediction p)
    {
        if (p.Labels is { } labels) CsvFile.WriteColumn(path, model.TargetNames[0], labels);
        else CsvFile.Write(path, p.Mean, model.TargetNames);
    }
}
