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
        var xTrain = new Option<FileInfo>("--x-train") { Description = "Training inputs (.csv or .npy).", Required = true };
        var yTrain = new Option<FileInfo>("--y-train") { Description = "Training targets, one row per input (.csv or .npy).", Required = true };
        var xTest = new Option<FileInfo>("--x-test") { Description = "Test inputs.", Required = true };
        var yTest = new Option<FileInfo?>("--y-test") { Description = "Test targets: prints the test mean squared error." };
        var outFile = new Option<FileInfo>("--out") { Description = "Predictions file (.csv or .npy).", Required = true };
        var standardize = new Option<bool>("--standardize") { Description = "Standardize features (mean 0, std 1, fitted on the training inputs)." };
        var lr = new Option<double?>("--learning-rate") { Description = "With --kernel none: fit by gradient descent with this η (must be below 2/σ₁², which is reported)." };
        var steps = new Option<int>("--steps") { Description = "Gradient-descent steps (with --learning-rate).", DefaultValueFactory = _ => 10_000 };
        var force = new Option<bool>("--force") { Description = "Run gradient descent even above the stable learning rate." };
        var intercept = new Option<bool>("--intercept") { Description = "With --kernel none: fit an intercept." };
        var provider = CommonOptions.Provider();
        foreach (var o in new Option[] { ridge, relative, xTrain, yTrain, xTest, yTest, outFile, standardize, lr, steps, force, intercept, provider }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            CommonOptions.ApplyProvider(r.GetValue(provider));
            var (x, y) = MatrixFile.ReadXY(r.GetValue(xTrain)!.FullName, r.GetValue(yTrain)!.FullName);
            var xs = MatrixFile.Read(r.GetValue(xTest)!.FullName);
            if (xs.Cols != x.Cols)
                throw new ArgumentException($"--x-test has {xs.Cols} columns but --x-train has {x.Cols}; use the same features.");
            if (r.GetValue(standardize))
            {
                var (fitted, z) = new Standardizer().FitTransform(x);
                x = z;
                xs = fitted.Transform(xs);
            }
            var k = kernel.Resolve(r, x.Cols);
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
            if (r.GetValue(yTest) is { } yt)
            {
                var truth = MatrixFile.Read(yt.FullName);
                if (truth.Rows != pred.Rows || truth.Cols != pred.Cols)
                    throw new ArgumentException($"--y-test is {truth.Shape} but the predictions are {pred.Shape}.");
                output.WriteLine($"test MSE: {Metrics.MeanSquaredError(pred, truth):G6}");
            }
            return TangentCli.Ok;
        });
        return cmd;
    }
}
