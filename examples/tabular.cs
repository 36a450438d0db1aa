#:project ../src/Tangent/Tangent.csproj

// The practitioner's path, in C#: a CSV with a header and a label column → hyperparameters selected by
// 5-fold cross-validation → test metrics → the model saved, loaded back and applied to new rows
// (what `tangent fit … --select cv:5 --save` and `tangent predict --model` do; docs/USER-GUIDE.md,
// docs/SELECTION.md, docs/MODELS.md). Run from the repository root: dotnet run examples/tabular.cs

using System.Globalization;
using Tangent.Data;       // EmbeddedData, LabeledTable, LabeledData
using Tangent.Layers;     // Architecture, KernelOutputs
using Tangent.Models;     // ModelSpec, ModelSelection, HyperGrid, SelectionMethod, TabularModel

var dir = Directory.CreateTempSubdirectory("tangent-example-tabular-");
try
{
    // A CSV like `tangent dataset breast-cancer --out cancer.csv`: 30 numeric features, then the label as text.
    var cancer = EmbeddedData.BreastCancer();
    string csv = Path.Combine(dir.FullName, "cancer.csv");
    using (var w = new StreamWriter(csv))
    {
        w.WriteLine(string.Join(",", Enumerable.Range(1, cancer.Features).Select(j => $"f{j}").Append("label")));
        for (int i = 0; i < cancer.Count; i++)
            w.WriteLine(string.Join(",", cancer.X.Row(i).ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture)).Append(cancer.ClassNames[cancer.Labels[i]])));
    }

    // Read it by the target's name: a text label makes it a classification task. Hold out 25 % for the end.
    var table = LabeledTable.Load(csv, new LabeledTableOptions { Target = ["label"] }).Data;
    var (train, test) = LabeledTable.Split(table, testFraction: 0.25, seed: 0, stratify: true);
    Console.WriteLine($"{Path.GetFileName(csv)}: {train.Count} training and {test.Count} test rows, {train.X.Cols} features, classes {table.Labels!.Describe()}");

    // Select NNGP or NTK and the ridge (relative to the kernel's mean diagonal) by 5-fold cross-validation on the training rows.
    var spec = new ModelSpec
    {
        Architecture = Architecture.Parse("dense(w=1.41,b=0.1) relu dense(w=1.41,b=0.1) relu dense(w=1.41)"),
        Get = KernelOutputs.Nngp,
        StandardizeFeatures = true,
    };
    var selection = ModelSelection.Select(spec, HyperGrid.Parse("get=nngp,ntk; relridge=1e-3,1e-2,0.1,1"), SelectionMethod.Parse("cv:5"), train, seed: 0);
    foreach (var row in selection.Rows)
        Console.WriteLine($"  {row.Label,-28} {selection.ScoreName} {row.Score:F4}{(row == selection.BestRow ? "   ← selected" : "")}");

    // Refit the best setting on all training rows; score it once on the test rows.
    var model = TabularModel.Fit(selection.Best, train);
    var evaluation = model.Evaluate(test);
    var scores = evaluation.Classification!;
    Console.WriteLine($"model: {model.Spec.DescribeKernel()}, λ = {model.RidgeValue:G4}; test accuracy {scores.Accuracy:P1}");
    Console.WriteLine($"confusion matrix (rows: true {string.Join(", ", scores.Classes)}): {string.Join(" | ", scores.ConfusionMatrix.Select(r => string.Join(" ", r)))}");
    if (scores.Accuracy < 0.93) throw new InvalidOperationException($"The selected model should classify at least 93 % of the test rows, got {scores.Accuracy:P1}.");

    // Save, load back, and apply to new rows: a CSV with the same feature columns and no label.
    string saved = Path.Combine(dir.FullName, "cancer.tgm");
    model.Save(saved);
    var loaded = TabularModel.Load(saved);
    string fresh = Path.Combine(dir.FullName, "new-patients.csv");
    int[] picked = [.. Enumerable.Range(0, test.Count).Where(i => test.RawLabels![i] == "benign").Take(3),
                    .. Enumerable.Range(0, test.Count).Where(i => test.RawLabels![i] == "malignant").Take(3)];
    File.WriteAllLines(fresh, File.ReadLines(csv).Take(1).Select(h => h[..h.LastIndexOf(',')])
        .Concat(picked.Select(i => string.Join(",", test.X.Row(i).ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture))))));
    var rows = LabeledTable.Load(fresh, new LabeledTableOptions { Target = ["label"], TargetOptional = true }, like: train).Data;
    var before = model.Predict(rows.X, rows.FeatureNames);
    var after = loaded.Predict(rows.X, rows.FeatureNames);
    Console.WriteLine($"saved {new FileInfo(saved).Length / 1024} KiB; the loaded model labels {Path.GetFileName(fresh)}: {string.Join(", ", after.Labels!)} (true: {string.Join(", ", picked.Select(i => test.RawLabels![i]))})");
    if (!before.Scores!.Data.SequenceEqual(after.Scores!.Data) || !before.Labels!.SequenceEqual(after.Labels!))
        throw new InvalidOperationException("The loaded model should predict exactly as the saved one.");
    Console.WriteLine($"ok: selected {selection.BestRow.Label} by 5-fold cross-validation, test accuracy {scores.Accuracy:P1}; the saved model predicts new rows bit for bit as before");
}
finally
{
    dir.Delete(recursive: true);
}
