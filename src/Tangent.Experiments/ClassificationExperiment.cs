using Tangent.Data;
using Tangent.Dynamics;
using Tangent.Kernels;
using Tangent.Layers;
using Tangent.Models;
using Tangent.Networks;
using Tangent.Numerics;

namespace Tangent.Experiments;

/// <summary>Settings of <see cref="ClassificationExperiment"/>.</summary>
public sealed record ClassificationSettings
{
    /// <summary>Fraction of samples held out for testing.</summary>
    public double TestFraction { get; init; } = 0.3;

    /// <summary>Architecture of the NTK and of the finite network.</summary>
    public string Architecture { get; init; } = "dense(w=1.5,b=0.1) relu dense(w=1.5,b=0.1)";

    /// <summary>Width of the trained finite network.</summary>
    public int Width { get; init; } = 512;

    /// <summary>Gradient-descent steps of the finite network.</summary>
    public int Steps { get; init; } = 500;

    /// <summary>Random seed (split and network).</summary>
    public int Seed { get; init; }
}

/// <summary>
/// A real classification task: NTK regression (the infinite ensemble's mean at t = ∞), Gaussian kernel
/// regression (γ = 1/d) and a finite network of the same architecture trained by full-batch gradient descent
/// on the MSE loss, on standardized features with one-hot targets (docs/MATH.md §5: the predicted class is the
/// argmax). Default data: the embedded wine set (178 samples, 13 features, 3 classes).
/// </summary>
public static class ClassificationExperiment
{
    /// <summary>One model.</summary>
    /// <param name="Model">Description.</param>
    /// <param name="TrainAccuracy">Training accuracy.</param>
    /// <param name="TestAccuracy">Test accuracy.</param>
    /// <param name="Seconds">Fit + predict time.</param>
    public sealed record Row(string Model, double TrainAccuracy, double TestAccuracy, double Seconds);

    /// <summary>The results.</summary>
    /// <param name="Dataset">Data set name.</param>
    /// <param name="Train">Training samples.</param>
    /// <param name="Test">Test samples.</param>
    /// <param name="Classes">Classes.</param>
    /// <param name="Rows">One per model.</param>
    public sealed record Result(string Dataset, int Train, int Test, int Classes, IReadOnlyList<Row> Rows);

    /// <summary>Runs the experiment on <paramref name="data"/> (default: embedded wine).</summary>
    public static Result Run(ClassificationSettings settings, ClassificationData? data = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        data ??= EmbeddedData.Wine();
        int k = data.Labels.Max() + 1;
        var y = Preprocessing.OneHot(data.Labels, k);
        var (xTr, yTr, xTe, yTe) = Preprocessing.TrainTestSplit(data.X, y, settings.TestFraction, settings.Seed);
        var (fx, xTrain) = new Standardizer().FitTransform(xTr);
        var xTest = fx.Transform(xTe);
        var lTrain = Preprocessing.ArgMax(yTr);
        var lTest = Preprocessing.ArgMax(yTe);
        var rows = new List<Row>();
        var arch = Layers.Architecture.Parse(settings.Architecture);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var kTrain = arch.ComputeKernels(xTrain, null, KernelOutputs.Ntk).Ntk;
        var kTest = arch.ComputeKernels(xTest, xTrain, KernelOutputs.Ntk).Ntk;
        var ens = InfiniteEnsemble.Ntk(kTrain, null, yTr, new DynamicsOptions { Ridge = Ridge.Relative(1e-8) });
        var pTest = ens.Predict(double.PositiveInfinity, new TestKernels { NtkTestTrain = kTest }, CovarianceMode.None).Mean;
        var pTrain = ens.Predict(double.PositiveInfinity, new TestKernels { NtkTestTrain = kTrain }, CovarianceMode.None).Mean;
        rows.Add(new Row($"NTK regression ({settings.Architecture}, t = ∞)", Metrics.Accuracy(pTrain, lTrain), Metrics.Accuracy(pTest, lTest), clock.Elapsed.TotalSeconds));

        clock.Restart();
        var gauss = new KernelRegression(ClassicalKernel.Gaussian(1.0 / xTrain.Cols)) { Ridge = Ridge.Relative(1e-8) }.Fit(xTrain, yTr, cancellationToken: cancellationToken);
        rows.Add(new Row($"Gaussian kernel regression (γ = 1/{xTrain.Cols})", Metrics.Accuracy(gauss.Predict(xTrain, cancellationToken: cancellationToken), lTrain), Metrics.Accuracy(gauss.Predict(xTest, cancellationToken: cancellationToken), lTest), clock.Elapsed.TotalSeconds));

        clock.Restart();
        var net = Network.Create(arch, xTrain.Cols, settings.Width, k, settings.Seed + 1);
        double eta = 0.5 * 2.0 * yTr.Data.Length / LinearAlgebra.Eigen(kTrain).Values.Max();
        Training.Train(net, xTrain, yTr, new TrainingOptions { LearningRate = eta, Steps = settings.Steps }, null, cancellationToken);
        rows.Add(new Row($"finite network, width {settings.Width}, {settings.Steps} GD steps (η = {Report.Num(eta)})",
            Metrics.Accuracy(net.Predict(xTrain), lTrain), Metrics.Accuracy(net.Predict(xTest), lTest), clock.Elapsed.TotalSeconds));
        return new Result(data.Name, xTrain.Rows, xTest.Rows, k, rows);
    }

    /// <summary>Adds the experiment's section to a report.</summary>
    public static void AddTo(Report report, Result r, ClassificationSettings s, string prefix = "classification")
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(s);
        report.Paragraph($"The embedded `{r.Dataset}` data set: {r.Train} training and {r.Test} test samples, {r.Classes} classes, standardized features, one-hot targets, " +
                         "predicted class = argmax. NTK regression is the mean of the infinitely wide ensemble trained to convergence; the finite network has the same " +
                         "architecture and is trained by full-batch gradient descent on the MSE loss at half the NTK's maximal learning rate.");
        report.Table(["model", "train accuracy", "test accuracy", "seconds"],
            r.Rows.Select(x => (IReadOnlyList<string>)[x.Model, Report.Num(x.TrainAccuracy), Report.Num(x.TestAccuracy), Report.Num(x.Seconds)]), $"{prefix}.csv");
        report.Image($"{prefix}.png", Charts.Bars($"{r.Dataset}: test accuracy", "accuracy", r.Rows.Select(x => (x.Model.Split(' ')[0] + " " + x.Model.Split(' ')[1], x.TestAccuracy)).ToList()), "test accuracy");
        report.Setting($"{prefix}.architecture", s.Architecture);
        report.Setting($"{prefix}.width", s.Width);
        report.Setting($"{prefix}.steps", s.Steps);
        report.Setting($"{prefix}.test_fraction", s.TestFraction);
    }
}
