using System.CommandLine;
using Tangent.Data;
using Tangent.Dynamics;
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
        var ridge = CliOptions.Number("--ridge", "Ridge λ ≥ 0 (0: minimum-norm interpolation).", 0.0, NumberRange.NonNegative);
        var relative = new Option<bool>("--ridge-relative") { Description = "λ is relative to the mean diagonal of the kernel matrix (of XᵀX with --kernel none)." };
        var data = new TrainTestOptions();
        var outFile = new Option<FileInfo>("--out") { Description = "Predictions file (.csv or .npy).", Required = true };
        var standardize = new Option<bool>("--standardize") { Description = "Standardize features (mean 0, std 1, fitted on the training inputs)." };
        var lr = CliOptions.OptionalNumber("--learning-rate", "With --kernel none: fit by gradient descent with this η > 0 (must be below 2/σ₁², which is reported).", NumberRange.Positive);
        var steps = CliOptions.Int("--steps", "Gradient-descent steps, ≥ 1 (with --learning-rate).", 10_000, 1);
        var force = new Option<bool>("--force") { Description = "Run gradient descent even above the stable learning rate." };
        var intercept = new Option<bool>("--intercept") { Description = "With --kernel none: fit an intercept." };
        var provider = CommonOptions.Provider();
        foreach (var o in new Option[] { ridge, relative, outFile, standardize, lr, steps, force, intercept, provider }) cmd.Options.Add(o);
        data.AddTo(cmd);
        var images = new ImageInputs();
        images.AddTo(cmd);
        cmd.SetAction(r =>
        {
            // Everything is checked and read before the work, and the predictions are written last (docs/RELIABILITY.md).
            var outputs = new OutputPlan();
            string path = outputs.Declare("--out", r.GetValue(outFile)!);
            kernel.Validate(r);
            bool linear = kernel.IsNone(r);
            if (!linear)
                foreach (var o in new Option[] { lr, steps, force, intercept })
                    if (r.GetResult(o) is { Implicit: false })
                        throw new CliError($"{o.Name} applies only to linear regression (--kernel none).", "drop it, or give --kernel none.");
            if (r.GetValue(lr) is null && r.GetResult(steps) is { Implicit: false })
                throw new CliError("--steps applies only to gradient descent; give --learning-rate too.", "e.g. --kernel none --learning-rate 0.01 --steps 5000");
            var compute = CommonOptions.ComputeOptionsFrom(r, provider, images);
            var (x, y, xs, truth, shape, fromImages) = data.Read(r, images, output);
            if (r.GetValue(standardize))
            {
                var (fitted, z) = new Standardizer().FitTransform(x);
                x = z;
                xs = fitted.Transform(xs);
            }
            var k = kernel.Resolve(r, x.Cols, shape);
            var token = TangentCli.Cancellation;
            Matrix pred;
            if (k is null)
            {
                CommonOptions.ApplyProvider(r.GetValue(provider));   // LinearRegression takes no ComputeOptions: it uses the process default
                var lin = new LinearRegression { FitIntercept = r.GetValue(intercept) };
                var lambda = r.GetValue(relative) ? Ridge.Relative(r.GetValue(ridge)) : Ridge.Absolute(r.GetValue(ridge));
                double? eta = r.GetValue(lr);
                lin = eta is { } e
                    ? lin with { Method = LinearMethod.GradientDescent, LearningRate = e, MaxSteps = r.GetValue(steps), AllowUnstableLearningRate = r.GetValue(force) }
                    : r.GetValue(ridge) > 0 ? lin with { Method = LinearMethod.Ridge, Ridge = lambda } : lin;
                var model = lin.Fit(x, y);
                token.ThrowIfCancellationRequested();
                if (model.Trace is { } t)
                    output.WriteLine($"gradient descent: η = {t.LearningRate:G6}, stable bound 2/σ₁² = {t.StableBound:G6}, {t.Steps} steps, {(t.Converged ? "converged" : "not converged")}");
                pred = model.Predict(xs);
                output.WriteLine($"linear regression ({lin.Method}) on {x.Rows} samples, {x.Cols} features");
            }
            else
            {
                var reg = new KernelRegression(k) { Ridge = r.GetValue(relative) ? Ridge.Relative(r.GetValue(ridge)) : Ridge.Absolute(r.GetValue(ridge)) };
                var model = CliProgress.Run($"fit {k.Describe()}", p => reg.Fit(x, y, compute with { Progress = p }));
                pred = CliProgress.Run("predict", p => model.Predict(xs, compute with { Progress = p }));
                output.WriteLine($"kernel regression with {k.Describe()}, λ = {model.Ridge:G6}, on {x.Rows} samples");
            }
            outputs.AddMatrix("--out", path, pred, "predictions", PredictionFix);
            if (truth is not null && pred.AllFinite())
            {
                output.WriteLine($"test MSE: {Metrics.MeanSquaredError(pred, truth):G6}");
                if (fromImages && Metrics.Accuracy(pred, truth) is { } accuracy) output.WriteLine($"test accuracy: {accuracy:P2}");
            }
            outputs.WriteAll(output);
            return TangentCli.Ok;
        });
        return cmd;
    }

    /// <summary>The hint for predictions that are not finite.</summary>
    internal const string PredictionFix = "the fit was unstable: add a ridge (--ridge 1e-6 --ridge-relative), --standardize the inputs, or lower --gamma.";

}
