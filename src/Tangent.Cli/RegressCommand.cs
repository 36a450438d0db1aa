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
        var table = new DataOptions();
        var data = new TrainTestOptions(table.Header);
        var outFile = new Option<FileInfo>("--out")
        {
            Description = "Predictions file (.csv or .npy). With --data, a CSV has a header: the target names, or for classification the label column with the predicted classes.",
            Required = true,
        };
        var lr = CliOptions.OptionalNumber("--learning-rate", "With --kernel none: fit by gradient descent with this η > 0 (must be below 2/σ₁², which is reported).", NumberRange.Positive);
        var steps = CliOptions.Int("--steps", "Gradient-descent steps, ≥ 1 (with --learning-rate).", 10_000, 1);
        var force = new Option<bool>("--force") { Description = "Run gradient descent even above the stable learning rate." };
        var intercept = new Option<bool>("--intercept") { Description = "With --kernel none: fit an intercept." };
        var provider = CommonOptions.Provider();
        var solver = new SolverOptions();
        foreach (var o in new Option[] { ridge, relative, outFile, lr, steps, force, intercept, provider }.Concat(solver.All)) cmd.Options.Add(o);
        table.AddTo(cmd);
        data.AddTo(cmd);
        var images = new ImageInputs();
        images.AddTo(cmd);
        cmd.SetAction(r =>
        {
            // Everything is checked and read before the work, and the predictions are written last (docs/RELIABILITY.md).
            var outputs = new OutputPlan();
            string path = outputs.Declare("--out", r.GetValue(outFile)!);
            kernel.Validate(r);
            table.RefuseMixed(r, "--x-train/--y-train/--x-test/--y-test files or --images", [.. data.All, images.Images]);
            bool linear = kernel.IsNone(r);
            if (!linear)
                foreach (var o in new Option[] { lr, steps, force, intercept })
                    if (r.GetResult(o) is { Implicit: false })
                        throw new CliError($"{o.Name} applies only to linear regression (--kernel none).", "drop it, or give --kernel none.");
            if (r.GetValue(lr) is null && r.GetResult(steps) is { Implicit: false })
                throw new CliError("--steps applies only to gradient descent; give --learning-rate too.", "e.g. --kernel none --learning-rate 0.01 --steps 5000");
            var solve = solver.Validate(r, linear);
            var compute = CommonOptions.ComputeOptionsFrom(r, provider, images);
            Matrix x, y, xs;
            Matrix? truth;
            Layers.ImageShape? shape = null;
            bool fromImages = false;
            DataSet? set = null;
            if (table.Given(r))
            {
                images.Load(r);   // checks that no image-only option was given
                set = table.Load(r, needTest: true, needTarget: true);
                set.PrintWarnings(output);
                (x, y, xs, truth) = (set.Train.X, set.Train.Y, set.Test!.X, set.Test.Y);
                output.WriteLine(Describe(set));
            }
            else (x, y, xs, truth, shape, fromImages) = data.Read(r, images, output);
            bool classification = set?.Train.Task == TaskKind.Classification || fromImages;   // --images: one-hot class targets
            var (_, targetScale) = table.Apply(r, ref x, ref xs, ref y, classification);
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
                LinearRegressionModel model;
                try
                {
                    model = lin.Fit(x, y);
                }
                catch (UnstableLearningRateException u) when (DataOptions.ExplainUnstable(u, r.GetValue(table.Standardize)) is { } explained)
                {
                    throw explained;
                }
                token.ThrowIfCancellationRequested();
                if (model.Trace is { } t)
                    output.WriteLine($"gradient descent: η = {t.LearningRate:G6}, stable bound 2/σ₁² = {t.StableBound:G6}, {t.Steps} steps, {(t.Converged ? "converged" : "not converged")}");
                pred = model.Predict(xs);
                output.WriteLine($"linear regression ({lin.Method}) on {x.Rows} samples, {x.Cols} features");
            }
            else
            {
                var lambda = r.GetValue(relative) ? Ridge.Relative(r.GetValue(ridge)) : Ridge.Absolute(r.GetValue(ridge));
                (pred, string how, double used) = solver.FitPredict(r, solve, k, lambda, x, y, xs, compute);
                output.WriteLine($"kernel regression with {k.Describe()}, λ = {used:G6}, on {x.Rows} samples");
                output.WriteLine(how);
            }
            if (targetScale is not null) pred = targetScale.InverseTransform(pred);
            if (set is not null)
                AddPredictions(outputs, "--out", path, pred, set.Train, PredictionFix);
            else
                outputs.AddMatrix("--out", path, pred, "predictions", PredictionFix);
            if (truth is not null && pred.AllFinite())
            {
                if (set is not null && classification)
                    output.WriteLine($"test accuracy: {Accuracy(set.Train.Labels!.Decode(pred), set.Test!.RawLabels!):P2} ({set.Test.Count} rows, {set.Train.Labels!.Count} classes)");
                else
                {
                    output.WriteLine($"test MSE: {Metrics.MeanSquaredError(pred, truth):G6}");
                    if (Metrics.Accuracy(pred, truth) is { } accuracy) output.WriteLine($"test accuracy: {accuracy:P2}");
                }
            }
            outputs.WriteAll(output);
            return TangentCli.Ok;
        });
        return cmd;
    }

    /// <summary>"data: 133 train, 45 test rows, 13 features; classification of 'class' (3 classes: 1, 2, 3)".</summary>
    internal static string Describe(DataSet set)
    {
        var t = set.Train;
        string what = t.Task == TaskKind.Classification
            ? $"classification of '{t.TargetNames[0]}' ({t.Labels!.Count} classes: {t.Labels.Describe()})"
            : $"regression of {string.Join(", ", t.TargetNames.Select(n => $"'{n}'"))}";
        return $"data: {t.Count} train, {set.Test?.Count ?? 0} test rows, {t.X.Cols} features; {what}";
    }

    /// <summary>The fraction of predicted labels equal to the true ones as read (labels compare trimmed, as <see cref="LabelEncoder"/> codes them).</summary>
    internal static double Accuracy(IReadOnlyList<string> predicted, IReadOnlyList<string> truth) =>
        Metrics.Accuracy(predicted, truth.Select(t => t.Trim()).ToList());

    /// <summary>
    /// Predictions for --data: a CSV gets a header (the target names, or the label column of decoded
    /// classes for classification); a .npy gets the numbers (the class scores for classification).
    /// </summary>
    internal static void AddPredictions(OutputPlan outputs, string option, string path, Matrix pred, LabeledData train, string fix)
    {
        if (MatrixFile.FormatOf(path) == MatrixFileFormat.Npy)
        {
            outputs.AddMatrix(option, path, pred, train.Task == TaskKind.Classification ? "class scores" : "predictions", fix);
            return;
        }
        if (pred.FirstNonFinite() is var (row, col))
            throw new CliError($"{option}: entry (row {row + 1}, column {col + 1}) of the {(train.Task == TaskKind.Classification ? "class scores" : "predictions")} is not finite; nothing was written.", fix);
        if (train.Task == TaskKind.Classification)
        {
            var labels = train.Labels!.Decode(pred);
            outputs.AddFile(option, path, $"predicted labels ({labels.Length} rows, column '{train.TargetNames[0]}')", p => CsvFile.WriteColumn(p, train.TargetNames[0], labels));
            return;
        }
        outputs.AddFile(option, path, $"predictions {pred.Shape} ({string.Join(", ", train.TargetNames)})", p => CsvFile.Write(p, pred, train.TargetNames));
    }

    /// <summary>The hint for predictions that are not finite.</summary>
    internal const string PredictionFix = "the fit was unstable: add a ridge (--ridge 1e-6 --ridge-relative), --standardize the inputs, or lower --gamma.";

}
