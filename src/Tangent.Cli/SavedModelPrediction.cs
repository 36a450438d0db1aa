using System.CommandLine;
using System.CommandLine.Parsing;
using Tangent.Data;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Cli;

/// <summary>
/// `tangent predict --model model.tgm --data new.csv --out predictions.csv`: applies a model saved by
/// `tangent fit --save` (docs/USER-GUIDE.md). The new table needs the model's feature columns (by name);
/// its target column, when present, is used to report the metrics. The preprocessing is the model's own.
/// </summary>
internal static class SavedModelPrediction
{
    /// <summary>The options that mean something with --model; every other one given explicitly is refused.</summary>
    private static readonly string[] Allowed = ["--model", "--out", "--data", "--target", "--drop", "--header", "--provider"];

    public static int Run(ParseResult r, FileInfo modelFile, Option<FileInfo?> outFile, DataOptions table, TextWriter output)
    {
        foreach (var child in r.CommandResult.Children.OfType<OptionResult>())
            if (child is { Implicit: false } && !Allowed.Contains(child.Option.Name))
                throw new CliError($"{child.Option.Name} does not apply with --model: the saved model fixes its kernel, hyperparameters and preprocessing.",
                    "drop it; with --model give --data NEW.csv and --out predictions.csv.");
        var dataFile = r.GetValue(table.Data) ?? throw new CliError("--data NEW.csv is missing: the rows to predict.", "e.g. tangent predict --model model.tgm --data new.csv --out predictions.csv");
        var outPath = r.GetValue(outFile) is { } of ? FitCommand.CsvOutPath(of) : throw new CliError("--out is missing: where to write the predictions.", "e.g. --out predictions.csv");
        var model = TabularModel.Load(modelFile.FullName);
        string classifier = model.Svm is { } svm ? $"SVM (C = {model.Spec.C.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)}, {svm.SupportIndices.Count} support vectors) on " : "";
        output.WriteLine($"model: {modelFile.Name}: {classifier}{model.Spec.DescribeKernel()}, {(model.Task == TaskKind.Classification ? $"classification into {model.Labels!.Count} classes" : "regression of " + string.Join(", ", model.TargetNames))}, fitted on {model.TrainCount} rows");
        var like = new LabeledData(new Matrix(0, model.FeatureNames.Count), new Matrix(0, model.Labels?.Count ?? model.TargetNames.Count),
            model.FeatureNames, model.TargetNames, model.Task, model.Labels);
        var targets = r.GetValue(table.Target) is { } t ? DataOptions.Split(t) : model.TargetNames.ToList();
        var read = LabeledTable.Load(dataFile.FullName, new LabeledTableOptions
        {
            Target = targets,
            TargetOptional = true,
            Drop = (r.GetValue(table.Drop) ?? []).SelectMany(DataOptions.Split).ToList(),
            Csv = table.Csv(r),
        }, like);
        var data = read.Data;
        var compute = new Engine.ComputeOptions { CancellationToken = TangentCli.Cancellation };
        var prediction = CliProgress.Run("predict", p => model.Predict(data.X, data.FeatureNames, compute with { Progress = p }));
        if (!prediction.Mean.AllFinite())
            throw new CliError("the predictions are not finite; nothing was written.", "refit the model with a ridge (tangent fit --ridge 1e-6 --ridge-relative) or standardized features.");
        output.WriteLine($"predicted {data.Count} rows");
        if (data.Y.Cols > 0)
            FitCommand.PrintEvaluation(output, model.Evaluate(data, compute), "scores on --data");
        TangentCli.Cancellation.ThrowIfCancellationRequested();
        FitCommand.WritePredictions(outPath, model, prediction);
        output.WriteLine($"wrote predictions to {outPath}");
        return TangentCli.Ok;
    }
}
