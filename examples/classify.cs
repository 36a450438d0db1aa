#:project ../src/Tangent/Tangent.csproj

// A whole classification task in C#, as `tangent classify` runs it (docs/CLASSIFY.md): the embedded wine table → a
// support-vector machine on the NTK of an infinitely wide ReLU network, its C selected by 5-fold cross-validation on
// the training rows → test accuracy, per-class precision and recall, and the confusion matrix.
// Run from the repository root: dotnet run examples/classify.cs

using Tangent.Data;       // EmbeddedData, LabeledData, LabelEncoder, Preprocessing
using Tangent.Layers;     // Architecture, KernelOutputs
using Tangent.Models;     // ModelSpec, ClassifierKind, ModelSelection, HyperGrid, SelectionMethod, TabularModel, Metrics

// 178 wines, 13 chemical measurements, 3 cultivars; a stratified 30 % of the rows held out for the end.
var wine = EmbeddedData.Wine();
var raw = wine.Labels.Select(l => wine.ClassNames[l]).ToArray();
var code = LabelEncoder.Fit(raw);
var table = new LabeledData(wine.X, code.OneHot(raw), [.. Enumerable.Range(1, wine.Features).Select(j => $"f{j}")], ["cultivar"],
    TaskKind.Classification, code, raw);
var (train, test) = LabeledTable.Split(table, testFraction: 0.3, seed: 0, stratify: true);
Console.WriteLine($"wine: {train.Count} training and {test.Count} test rows, {wine.Features} features, classes {code.Describe()}");

// The model: an SVM (C-SVC, one-vs-one) on the NTK of a two-hidden-layer ReLU network, standardized features.
var spec = new ModelSpec
{
    Architecture = Architecture.Parse("dense(w=1.41,b=0.1) relu dense(w=1.41,b=0.1) relu dense(w=1.41)"),
    Get = KernelOutputs.Ntk,
    Model = ClassifierKind.Svm,
    StandardizeFeatures = true,
};

// C by 5-fold cross-validation: the training kernel is computed once and every C and fold reuses it.
var selection = ModelSelection.Select(spec, HyperGrid.Parse("c=0.01,0.1,1,10,100,1000"), SelectionMethod.CrossValidation(5), train, seed: 0);
for (int i = 0; i < selection.Rows.Count; i++)
    Console.WriteLine($"  {(i == selection.BestIndex ? "*" : " ")} {selection.Rows[i].Label,-8} cv accuracy {selection.Rows[i].Score:P1}");

// Refit the chosen C on every training row and classify the test rows (K(test, support vectors) only).
var model = TabularModel.Fit(selection.Best, train);
var predicted = model.Predict(test.X, test.FeatureNames).Labels!;
var report = Metrics.Classification(code.Indices(test.RawLabels!), code.Indices(predicted), code.Classes);
Console.WriteLine($"chosen C = {selection.Best.C}: {model.Svm!.SupportIndices.Count} support vectors of {model.TrainCount} rows; " +
    $"test accuracy {report.Accuracy:P1} ({test.Count} rows)");
Console.WriteLine("confusion matrix (rows: true cultivar, columns: predicted):");
Console.WriteLine("        " + string.Concat(report.Classes.Select(c => c.PadLeft(9))) + "   recall");
for (int i = 0; i < report.Classes.Count; i++)
    Console.WriteLine($"{report.Classes[i],8}" + string.Concat(report.ConfusionMatrix[i].Select(v => $"{v,9}")) + $"{report.PerClass[i].Recall,9:P0}");
Console.WriteLine("precision" + string.Concat(report.PerClass.Select(p => $"{p.Precision,9:P0}")));

// The claims: the NTK-SVM separates the cultivars, and the confusion matrix accounts for every test row.
int counted = report.ConfusionMatrix.Sum(r => r.Sum()), right = Enumerable.Range(0, report.Classes.Count).Sum(i => report.ConfusionMatrix[i][i]);
if (counted != test.Count || right != (int)Math.Round(report.Accuracy * test.Count))
    throw new InvalidOperationException($"the confusion matrix counts {counted} rows ({right} right) for {test.Count} test rows");
if (report.Accuracy < 0.9) throw new InvalidOperationException($"NTK-SVM test accuracy {report.Accuracy:P1} is below 90 %");
Console.WriteLine($"ok: NTK-SVM with C = {selection.Best.C} chosen by 5-fold cv classifies {report.Accuracy:P1} of the wine test rows (macro F1 {report.MacroAverage.F1:F3})");
