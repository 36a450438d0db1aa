using System.CommandLine;
using Tangent.Data;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Cli;

/// <summary>`tangent regress`: kernel or linear regression, writes test predictions.</summary>
internal static class RegressCommand
{
    public static Command Create(TextWriter output)
    {
        var cmd = new Command("regress", "Fit kernel regression (minimum-norm or ridge) or linear regression (--kernel none) and write test predictions.");
        var kernel = new KernelOptions(allowNone: true);
        kernel.AddTo(cmd);
        var ridge = new Option<double>("--ridge") { Description = "Ridge λ ≥ 0 (0: minimum-norm interpolation).", DefaultValueFactory = _ => 0.0 };
        var relative = new Option<bool>("--ridge-relative") { Description = "λ is relative to the mean diagonal of the kernel matrix." };
        var xTrain = new Option<FileInfo?>("--x-train") { Description = "Training inputs (.csv or .npy; a 4-D .npy holds images). Or use --images." };
        var yTrain = new Option<FileInfo?>("--y-train") { Description = "Training targets, one row per input (.csv or .npy)." };
        var xTest = new Option<FileInfo?>("--x-test") { Description = "Test inputs." };
        var yTest = new Option<FileInfo?>("--y-test") { Description = "Test targets: prints the test mean squared error." };
        var outFile = new Option<FileInfo>("--out") { Description = "Predictions file (.csv or .npy).", Required = true };
        var standardize = new Option<bool>("--standardize") { Description = "Standardize features (mean 0, std 1, fitted on the training inputs)." };
        var lr = new Option<double?>("--learning-rate") { Description = "With --kernel none: fit by gradient descent with this η (must be below 2/σ₁², which is reported)." };
        var steps = new Option<int>("--steps") { Description = "Gradient-descent steps (with --learning-rate).", DefaultValueFactory = _ => 10_000 };
        var force = new Option<bool>("--force") { Description = "Run gradient descent even above the stable learning rate." };
        var intercept = new Option<bool>("--intercept") { Description = "With --kernel none: fit an intercept." };
        var provider = CommonOptions.Provider();
        foreach (var o in new Option[] { ridge, relative, xTrain, yTrain, xTest, yTest, outFile, standardize, lr, steps, force, intercept, provider }) cmd.Options.Add(o);
        var images = new ImageInputs();
        images.AddTo(cmd);
        cmd.SetAction(r =>
        {
            CommonOptions.ApplyProvider(r.GetValue(provider));
            var (x, y, xs, imageTruth, shape) = TrainTest(r, images, xTrain, yTrain, xTest, output);
            if (r.GetValue(standardize))
            {
                var (fitted, z) = new Standardizer().FitTransform(x);
                x = z;
                xs = fitted.Transform(xs);
            }
            var k = kernel.Resolve(r, x.Cols, shape);
            Matrix pred;
            if (k is null)
            {
                var lin = new LinearRegression { FitIntercept = r.GetValue(intercept) };
                double? eta = r.GetValue(lr);
                lin = eta is { } e
                    ? lin with { Method = LinearMethod.GradientDescent, LearningRate = e, MaxSteps = r.GetValue(steps), Force = r.GetValue(force) }
                    : r.GetValue(ridge) > 0 ? lin with { Method = LinearMethod.Ridge, Ridge = r.GetValue(ridge) } : lin;
                var model = lin.Fit(x, y);
                if (model.Trace is { } t)
                    output.WriteLine($"gradient descent: η = {t.LearningRate:G6}, stable bound 2/σ₁² = {t.StableBound:G6}, {t.Steps} steps, {(t.Converged ? "converged" : "not converged")}");
                pred = model.Predict(xs);
                output.WriteLine($"linear regression ({lin.Method}) on {x.Rows} samples, {x.Cols} features");
            }
            else
            {
                var reg = new KernelRegression(k) { Ridge = r.GetValue(ridge), RidgeRelative = r.GetValue(relative) };
                var model = CliProgress.Run($"fit {k.Describe()}", p => reg.Fit(x, y, p));
                pred = CliProgress.Run("predict", p => model.Predict(xs, p));
                output.WriteLine($"kernel regression with {k.Describe()}, λ = {model.Ridge:G6}, on {x.Rows} samples");
            }
            string path = r.GetValue(outFile)!.FullName;
            MatrixFile.Write(path, pred);
            output.WriteLine($"wrote predictions {pred.Shape} to {path}");
            if (imageTruth is not null || r.GetValue(yTest) is not null)
            {
                var truth = imageTruth ?? MatrixFile.Read(r.GetValue(yTest)!.FullName);
                if (truth.Rows != pred.Rows || truth.Cols != pred.Cols)
                    throw new ArgumentException($"--y-test is {truth.Shape} but the predictions are {pred.Shape}.");
                output.WriteLine($"test MSE: {Metrics.MeanSquaredError(pred, truth):G6}");
                if (imageTruth is not null) output.WriteLine($"test accuracy: {Accuracy(pred, truth):P2}");
            }
            return TangentCli.Ok;
        });
        return cmd;
    }

    /// <summary>Train and test data from --images or from the --x-train/--y-train/--x-test files (with image shape when known).</summary>
    internal static (Matrix X, Matrix Y, Matrix XTest, Matrix? YTest, Convolution.ImageShape? Shape) TrainTest(ParseResult r, ImageInputs images,
        Option<FileInfo?> xTrain, Option<FileInfo?> yTrain, Option<FileInfo?> xTest, TextWriter output)
    {
        if (images.Load(r) is { } set)
        {
            if (r.GetValue(xTrain) is not null || r.GetValue(xTest) is not null) throw new ArgumentException("Give either --images or --x-train/--y-train/--x-test, not both.");
            output.WriteLine(set.Description);
            return (set.XTrain, set.YTrain, set.XTest, set.YTest, set.Shape);
        }
        if (r.GetValue(xTrain) is not { } fx || r.GetValue(yTrain) is not { } fy || r.GetValue(xTest) is not { } ft)
            throw new ArgumentException("Give --x-train, --y-train and --x-test files, or an image data set with --images KIND:PATH.");
        var (x, shape) = images.ReadInputs(r, fx.FullName);
        var y = MatrixFile.Read(fy.FullName);
        if (y.Rows != x.Rows) throw new ArgumentException($"--x-train has {x.Rows} rows but --y-train has {y.Rows}; give one target row per input.");
        var (xs, testShape) = images.ReadInputs(r, ft.FullName);
        if (xs.Cols != x.Cols)
            throw new ArgumentException($"--x-test has {xs.Cols} columns but --x-train has {x.Cols}; use the same features.");
        if (testShape != shape) throw new ArgumentException($"--x-train holds images of {shape} but --x-test of {testShape}; use the same image shape.");
        (x, var xs2) = images.NormalizeIfAsked(r, x, xs, shape);
        return (x, y, xs2!, null, shape);
    }

    /// <summary>Fraction of rows whose argmax matches the target's argmax.</summary>
    internal static double Accuracy(Matrix pred, Matrix truth)
    {
        int ok = 0;
        for (int i = 0; i < pred.Rows; i++)
        {
            int a = 0, b = 0;
            for (int j = 1; j < pred.Cols; j++) { if (pred[i, j] > pred[i, a]) a = j; if (truth[i, j] > truth[i, b]) b = j; }
            if (a == b) ok++;
        }
        return (double)ok / pred.Rows;
    }
}
