using Tangent.Data;
using Tangent.Dynamics;
using Tangent.Kernels;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Experiments;

/// <summary>
/// Kernel and linear regression on a real data set (default: the embedded diabetes set of Efron et
/// al. 2004, 442 patients × 10 features): standardized features, a seeded 80/20 split, and the test
/// mean squared error of each model on standardized targets (so 1.0 is the error of predicting the
/// mean; R² = 1 − MSE).
/// </summary>
public static class TabularRegressionExperiment
{
    /// <summary>One model's errors.</summary>
    /// <param name="Model">Description.</param>
    /// <param name="TrainMse">Training MSE (standardized targets).</param>
    /// <param name="TestMse">Test MSE (standardized targets).</param>
    /// <param name="TestPredictions">Test predictions (standardized).</param>
    public sealed record Row(string Model, double TrainMse, double TestMse, double[] TestPredictions);

    /// <summary>The results.</summary>
    /// <param name="Dataset">Name of the data set.</param>
    /// <param name="Train">Training samples.</param>
    /// <param name="Test">Test samples.</param>
    /// <param name="Features">Number of features.</param>
    /// <param name="Rows">One row per model.</param>
    /// <param name="TestTargets">Standardized test targets.</param>
    public sealed record Result(string Dataset, int Train, int Test, int Features, IReadOnlyList<Row> Rows, double[] TestTargets);

    /// <summary>Runs every model on <paramref name="data"/> (default: embedded diabetes).</summary>
    public static Result Run(RegressionData? data = null, int seed = 0, double testFraction = 0.2)
    {
        data ??= EmbeddedData.Diabetes();
        var (xTr, yTr, xTe, yTe) = Preprocessing.TrainTestSplit(data.X, data.Y, testFraction, seed);
        var (fx, xTrain) = new Standardizer().FitTransform(xTr);
        var xTest = fx.Transform(xTe);
        var (fy, yTrain) = new Standardizer().FitTransform(yTr);
        var yTest = fy.Transform(yTe);
        int d = xTrain.Cols;

        var rows = new List<Row>();
        void Add(string name, Func<Matrix, Matrix> predict)
        {
            var pTr = predict(xTrain);
            var pTe = predict(xTest);
            rows.Add(new Row(name, Metrics.MeanSquaredError(pTr, yTrain), Metrics.MeanSquaredError(pTe, yTest), pTe.Data));
        }

        var linear = new LinearRegression { FitIntercept = true }.Fit(xTrain, yTrain);
        Add("linear, minimum norm (OLS)", linear.Predict);
        foreach (var (kernel, label) in new (ClassicalKernel, string)[]
                 {
                     (ClassicalKernel.Gaussian(1.0 / d), $"Gaussian γ=1/{d}"),
                     (ClassicalKernel.Laplace(1.0 / d), $"Laplace γ=1/{d}"),
                 })
            foreach (double lambda in new[] { 0.0, 0.1, 1.0 })
            {
                var m = new KernelRegression(kernel) { Ridge = Ridge.Relative(lambda) }.Fit(xTrain, yTrain);
                Add($"{label}, λ={lambda:G3}·mean diag{(lambda == 0 ? " (interpolation)" : "")}", x => m.Predict(x));
            }
        return new Result(data.Name, xTrain.Rows, xTest.Rows, d, rows, yTest.Data);
    }

    /// <summary>Adds the section (table, bar chart, predicted-vs-true plot) to a report.</summary>
    public static void AddTo(Report report, Result r, string prefix = "tabular")
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(r);
        report.Paragraph($"Data set **{r.Dataset}**: {r.Train} training and {r.Test} test samples, {r.Features} standardized features; " +
                         "targets standardized on the training set, so a test MSE of 1 is the error of predicting the mean (R² = 1 − MSE).");
        report.Table(["model", "train MSE", "test MSE", "test R²"],
            r.Rows.Select(x => (IReadOnlyList<string>)[x.Model, Report.Num(x.TrainMse), Report.Num(x.TestMse), Report.Num(1 - x.TestMse)]),
            $"{prefix}-errors.csv");
        report.Image($"{prefix}-test-mse.png", Charts.Bars($"{r.Dataset}: test MSE (standardized targets)", "test MSE",
            r.Rows.Select(x => (x.Model, x.TestMse)).ToList()), "test error of each model");
        var best = r.Rows.MinBy(x => x.TestMse)!;
        var diag = new[] { r.TestTargets.Min(), r.TestTargets.Max() };
        report.Image($"{prefix}-best-predictions.png", Charts.Lines($"{r.Dataset}: best model ({best.Model})", "true (standardized)", "predicted",
            [new Series("y = x", diag, diag), new Series("test samples", r.TestTargets, best.TestPredictions, Points: true)]), "predicted versus true");
    }
}
