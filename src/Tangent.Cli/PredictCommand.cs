using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Tangent.Data;
using Tangent.Dynamics;
using Tangent.Experiments;
using Tangent.Kernels;
using Tangent.Layers;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Cli;

/// <summary>`tangent predict`: infinite-ensemble predictions at any training time.</summary>
internal static class PredictCommand
{
    public static Command Create(TextWriter output)
    {
        var cmd = new Command("predict", "Predict the mean (and covariance) of an infinite ensemble of networks trained by gradient descent on MSE, at any time (docs/MATH.md §4).");
        var arch = new Option<string?>("--arch") { Description = "The architecture (docs/LAYERS.md); required unless --model applies a saved model." };
        var get = new Option<string>("--get") { Description = "ntk: all layers trained; nngp: only the last layer (at t = ∞: exact GP inference).", DefaultValueFactory = _ => "ntk" };
        var table = new DataOptions();
        var data = new TrainTestOptions(table.Header, "Test targets: prints bias, variance and total of the generalization error (eq. 10.52), and accuracy for one-hot targets.");
        var time = new Option<string>("--time") { Description = "Training time t ≥ 0 (steps of GD, continuous) or inf; a comma-separated list gives a trajectory.", DefaultValueFactory = _ => "inf" };
        var lr = CliOptions.Number("--learning-rate", "Learning rate η > 0 (τ = η·t/N, N = entries of Y_train); must be below 2N/λmax.", 1.0, NumberRange.Positive);
        var ridge = CliOptions.Number("--ridge", "Ridge λ ≥ 0 added to the kernel that is inverted and exponentiated.", 0.0, NumberRange.NonNegative);
        var relative = new Option<bool>("--ridge-relative") { Description = "λ is relative to the mean diagonal of that kernel." };
        var outMean = new Option<FileInfo>("--out-mean")
        {
            Description = "Mean predictions (.csv or .npy): n*×k for one time; for several, one file with a leading time axis — a (T, n*, k) .npy, or a CSV with a time column and T·n* rows. Required unless --model.",
        };
        var outCov = new Option<FileInfo?>("--out-cov") { Description = "Covariance output: the variances (n*×1) with --cov diag, the n*×n* matrix with --cov full; a leading time axis as --out-mean." };
        var perTime = new Option<bool>("--per-time") { Description = "With several times: one file per time instead, NAME_tINDEX_TIME.EXT (e.g. mean_t0002_100.npy; INDEX counts from 0 in --time order)." };
        var cov = new Option<string>("--cov") { Description = "none (mean only; with --y-test the error table shows the bias only), diag or full.", DefaultValueFactory = _ => "diag" };
        var method = new Option<string>("--method")
        {
            Description = "How the mean at finite times is computed: eigen (full eigendecomposition), lanczos (Krylov products, mean only; docs/SOLVERS.md), " +
                "auto (lanczos for a mean-only prediction above 5000 training inputs, else eigen).",
            DefaultValueFactory = _ => "auto",
        };
        var plot = new Option<FileInfo?>("--plot") { Description = "PNG of the test error (needs --y-test) or of the mean's norm against time." };
        var force = new Option<bool>("--force") { Description = "Accept a learning rate above the stable bound." };
        var kernelStore = new Option<string?>("--kernel-store")
        {
            Description = "Keep the train-train kernel of the --get kind in a kernel store, a folder ending in .zarr (docs/STORE.md), instead of memory: " +
                "an existing store must hold that kernel on these training inputs; a missing or unfinished one is computed (resumed) first. " +
                "The mean (--cov none) then streams from it: Lanczos at finite times, conjugate gradient at inf (needs --ridge) (docs/SOLVERS.md).",
        };
        var chunk = CliOptions.OptionalInt("--chunk", $"With --kernel-store, when the store is created: the chunk edge (default {Data.KernelStore.DefaultChunkSize}, smaller under --memory-budget).", 1, 65536);
        var tolerance = CliOptions.Number("--tolerance", "With --kernel-store and --time inf: stop conjugate gradient at this relative residual per target column (> 0).", 1e-10, NumberRange.Positive);
        var maxIterations = CliOptions.Int("--max-iterations", "With --kernel-store and --time inf: the most conjugate-gradient iterations, ≥ 1.", 1000, 1);
        var provider = CommonOptions.Provider();
        var modelFile = new Option<FileInfo?>("--model") { Description = "Apply a model saved by 'tangent fit --save' (.tgm) to --data, writing --out; the other model options do not apply." };
        var outFile = new Option<FileInfo?>("--out") { Description = "With --model: the predictions (.csv with a header: the label, or the target columns)." };
        foreach (var o in new Option[] { arch, get, time, lr, ridge, relative, outMean, outCov, perTime, cov, method, plot, force, kernelStore, chunk, tolerance, maxIterations, provider, modelFile, outFile })
            cmd.Options.Add(o);
        table.AddTo(cmd);
        data.AddTo(cmd);
        var images = new ImageInputs();
        images.AddTo(cmd);
        cmd.SetAction(r =>
        {
            // Everything is checked and read before the work, and every output is written last (docs/RELIABILITY.md).
            if (r.GetValue(modelFile) is { } saved)
                return SavedModelPrediction.Run(r, saved, outFile, table, output);
            if (r.GetResult(outFile) is { Implicit: false })
                throw new CliError("--out applies with --model (a saved model's predictions); the ensemble writes --out-mean.", "give --out-mean FILE, or --model FILE.tgm.");
            var architecture = Architecture.Parse(r.GetValue(arch) ?? throw new CliError("--arch is required for 'predict' (or --model FILE.tgm to apply a saved model).", "e.g. --arch \"dense(w=1.41,b=0.1) relu dense(w=1.41)\""));
            if (r.GetValue(outMean) is null) throw new CliError("--out-mean is required for 'predict' with --arch.", "e.g. --out-mean mean.csv");
            var kind = KernelOptions.ParseGet(r.GetValue(get));
            if (kind == KernelOutputs.Ntk && !architecture.HasNtk)
                throw new CliError($"--get ntk: '{architecture}' has no NTK (sign's derivative is a Dirac delta), so its networks cannot be trained by gradient descent.",
                    "use --get nngp (last-layer training, exact GP inference at t = ∞), or a smooth stand-in for sign such as erf(b=10).");
            var times = ParseTimes(r.GetValue(time)!);
            var mode = (r.GetValue(cov) ?? "diag").Trim().ToLowerInvariant() switch
            {
                "none" => CovarianceMode.None,
                "diag" or "diagonal" => CovarianceMode.Diagonal,
                "full" => CovarianceMode.Full,
                var v => throw new CliError($"--cov must be none, diag or full, not '{v}'."),
            };
            var ensembleMethod = (r.GetValue(method) ?? "auto").Trim().ToLowerInvariant() switch
            {
                "auto" => EnsembleMethod.Auto,
                "eigen" => EnsembleMethod.Eigen,
                "lanczos" => EnsembleMethod.Lanczos,
                var v => throw new CliError($"--method must be auto, eigen or lanczos, not '{v}'."),
            };
            if (mode == CovarianceMode.None && r.GetResult(outCov) is { Implicit: false })
                throw new CliError("--out-cov needs a covariance, but --cov none asks for the mean only.", "use --cov diag or --cov full, or drop --out-cov.");
            string? storePath = r.GetValue(kernelStore);
            CheckStoreOptions(r, storePath, ensembleMethod, mode, times, cov, outCov, ridge, [chunk, tolerance, maxIterations]);
            var outputs = new OutputPlan();
            bool split = r.GetValue(perTime);
            var meanPaths = Paths(outputs, "--out-mean", r.GetValue(outMean)!, times, split);
            var covPaths = r.GetValue(outCov) is { } fc ? Paths(outputs, "--out-cov", fc, times, split) : null;
            string? plotPath = r.GetValue(plot) is { } fp ? outputs.Declare("--plot", fp, OutputPlan.Kind.Png) : null;
            var plotted = times.Select((t, i) => (Time: t, Index: i)).Where(v => double.IsFinite(v.Time) && v.Time > 0).ToList();
            if (plotPath is not null && plotted.Count < 2)
                throw new CliError($"--plot needs at least two finite, positive times in --time, not '{r.GetValue(time)}'.", "e.g. --time 1,10,100,1000,inf");

            var compute = CommonOptions.ComputeOptionsFrom(r, provider, images);
            table.RefuseMixed(r, "--x-train/--y-train/--x-test/--y-test files or --images", [.. data.All, images.Images]);
            Matrix x, y, xs;
            Matrix? truth;
            ImageShape? shape = null;
            DataSet? set = null;
            bool fromImages = false;
            if (table.Given(r))
            {
                images.Load(r);   // checks that no image-only option was given
                set = table.Load(r, needTest: true, needTarget: true);
                set.PrintWarnings(output);
                (x, y, xs, truth) = (set.Train.X, set.Train.Y, set.Test!.X, set.Test.Y);
                output.WriteLine(RegressCommand.Describe(set));
            }
            else (x, y, xs, truth, shape, fromImages) = data.Read(r, images, output);
            if (shape is { } imageShape) architecture = architecture.WithInputShape(imageShape);
            bool classification = set?.Train.Task == TaskKind.Classification || fromImages;   // --images: one-hot class targets
            var (_, targetScale) = table.Apply(r, ref x, ref xs, ref y, classification);
            if (targetScale is not null && covPaths is not null && y.Cols > 1)
                throw new CliError("--out-cov with --standardize-target needs one target column: the variances are shared by the columns, which have different scales.",
                    "drop --standardize-target (or --out-cov), or predict one target column at a time.");
            if (targetScale is not null && truth is not null) truth = targetScale.Transform(truth);

            double lambda = r.GetValue(ridge);
            var config = new NeuralKernelRegressor(architecture)
            {
                Kernel = kind,
                LearningRate = r.GetValue(lr),
                Ridge = r.GetValue(relative) ? Ridge.Relative(lambda) : Ridge.Absolute(lambda),
                AllowUnstableLearningRate = r.GetValue(force),
                Method = ensembleMethod,
            };
            bool wantCov = covPaths is not null || truth is not null;
            var effectiveMode = wantCov ? mode : CovarianceMode.None;
            if (storePath is not null && effectiveMode != CovarianceMode.None)
                throw new CliError("--kernel-store computes the ensemble mean only, but --y-test (the variance term of the test error) needs the covariance.",
                    "add --cov none (the error table then shows the bias only), or drop --kernel-store.");
            if (ensembleMethod == EnsembleMethod.Lanczos && effectiveMode != CovarianceMode.None && times.Any(double.IsFinite))
                throw new CliError($"--method lanczos computes the ensemble mean only, but {(covPaths is not null ? "--out-cov" : "--y-test (the variance term of the test error)")} needs the covariance.",
                    "add --cov none (mean only; with --y-test the error table shows the bias only), or use --method eigen.");
            var token = TangentCli.Cancellation;
            IReadOnlyList<EnsemblePrediction> trajectory;
            Func<double, double> tauOf;
            Func<double> maxRate;
            DynamicsOptions used;
            double ridgeValue;
            string? storeLine = null;
            ConjugateGradientResult? solve = null;
            try
            {
                if (storePath is not null)
                {
                    // The mean from the store (docs/SOLVERS.md, "Ensemble means from a kernel store"): the kernel of the --get kind only.
                    var k = new NeuralKernel(architecture, kind);
                    var (store, before, written) = TrainKernelStore.OpenAndFill(storePath, r.GetValue(chunk), k, x, compute);
                    var op = new StoreKernelOperator(store, compute);
                    var ensemble = new OperatorEnsemble(kind, op.Multiply, x.Rows, op.Trace(), y, new DynamicsOptions
                    {
                        LearningRate = config.LearningRate,
                        Ridge = config.Ridge,
                        AllowUnstableLearningRate = config.AllowUnstableLearningRate,
                        Method = EnsembleMethod.Lanczos,
                        Provider = compute.Provider,
                        ConjugateGradientTolerance = r.GetValue(tolerance),
                        ConjugateGradientMaxIterations = r.GetValue(maxIterations),
                    });
                    var result = CliProgress.Run($"means from {Path.GetFileName(store.Path)}, test kernels {xs.Rows}×{x.Rows}",
                        p => ensemble.PredictTrajectory(times, k, x, xs, compute with { Progress = p }));
                    (trajectory, solve, storeLine) = (result.Predictions, result.Coefficients.Solve, TrainKernelStore.Describe(storePath, store, before, written, op));
                    (tauOf, maxRate, used, ridgeValue) = (ensemble.Tau, () => ensemble.MaxLearningRate, ensemble.Options, ensemble.RidgeValue);
                }
                else
                {
                    var model = CliProgress.Run($"train kernels {x.Rows}×{x.Rows}", p => config.Fit(x, y, compute with { Progress = p }));
                    var test = CliProgress.Run($"test kernels {xs.Rows}×{x.Rows}", p => model.TestKernelsFor(xs, effectiveMode, compute with { Progress = p }));
                    trajectory = model.Ensemble.PredictTrajectory(times, test, effectiveMode, null, token);
                    (tauOf, maxRate, used, ridgeValue) = (model.Ensemble.Tau, () => model.MaxLearningRate, model.Ensemble.Options, model.Ensemble.RidgeValue);
                }
            }
            catch (UnstableLearningRateException u) when (DataOptions.ExplainUnstable(u, r.GetValue(table.Standardize)) is { } explained)
            {
                throw explained;
            }
            if (storeLine is not null) output.WriteLine(storeLine);
            var krylov = trajectory.Where(p => p.Krylov is not null).Select(p => p.Krylov!).ToList();
            if (krylov.Count > 0)
                output.WriteLine($"method: lanczos{(storePath is not null ? " from the kernel store" : "")} (Krylov products, tolerance {used.KrylovTolerance:G3}, at most {used.KrylovMaxDimension} dimensions; " +
                    $"{(krylov.All(k => k.Converged) ? "converged" : "NOT converged: raise the limit or use --method eigen")}; the Krylov dimension per time is in the table)");
            else if (times.Any(double.IsFinite))
                output.WriteLine("method: eigen (full eigendecomposition of the train-train kernel)");
            if (solve is not null)
                output.WriteLine($"t = inf: conjugate gradient on (K + λI)·α = Y from the kernel store, tolerance {used.ConjugateGradientTolerance:G3}: {solve.Summary}" +
                    (solve.Converged ? "" : " (raise --max-iterations or the ridge)"));
            output.WriteLine($"{(kind == KernelOutputs.Ntk ? "NTK" : "NNGP")} ensemble of {architecture}: {x.Rows} train, {xs.Rows} test, η = {config.LearningRate:G6} (stable below {maxRate():G6}), λ = {ridgeValue:G6}");

            var grid = new Table();
            grid.AddColumns("t", "τ = ηt/N");
            if (krylov.Count > 0) grid.AddColumns("Krylov dim", "estimate");
            bool biasOnly = truth is not null && effectiveMode == CovarianceMode.None;
            if (biasOnly) grid.AddColumns("bias", "bias / entry", "accuracy");
            else if (truth is not null) grid.AddColumns("bias", "variance", "total", "total / entry", "accuracy");
            var errors = new List<double>();
            var norms = new List<double>();
            foreach (var pred in trajectory)
            {
                string tau = double.IsPositiveInfinity(pred.Time) ? "∞" : tauOf(pred.Time).ToString("G6", CultureInfo.InvariantCulture);
                var row = new List<string> { OutputPlan.FormatTime(pred.Time), tau };
                norms.Add(pred.Mean.FrobeniusNorm());
                if (krylov.Count > 0)
                    row.AddRange(pred.Krylov is { } kr ? [kr.Dimension.ToString(CultureInfo.InvariantCulture), Report.Num(kr.Estimate)] : ["—", "—"]);
                if (truth is not null && biasOnly)
                {
                    // Mean only (--cov none): the bias term of eq. 10.52 (the variance term needs the covariance).
                    var e = GeneralizationError.Evaluate(pred with { Variance = new double[pred.Mean.Rows] }, truth);
                    errors.Add(e.BiasPerEntry);
                    row.AddRange([Report.Num(e.Bias), Report.Num(e.BiasPerEntry), e.Accuracy is { } a ? $"{a:P2}" : "—"]);
                }
                else if (truth is not null)
                {
                    var e = GeneralizationError.Evaluate(pred, truth);
                    errors.Add(e.TotalPerEntry);
                    row.AddRange([Report.Num(e.Bias), Report.Num(e.Variance), Report.Num(e.Total), Report.Num(e.TotalPerEntry), e.Accuracy is { } a ? $"{a:P2}" : "—"]);
                }
                grid.AddRow(row.Select(Markup.Escape).ToArray());
            }
            Terminal.For(output).Write(grid);
            if (targetScale is not null && truth is not null) output.WriteLine("(errors in standardized target units: --standardize-target)");
            if (set is not null && classification)
                output.WriteLine($"test accuracy at t = {OutputPlan.FormatTime(times[^1])}: {RegressCommand.Accuracy(set.Train.Labels!.Decode(trajectory[^1].Mean), set.Test!.RawLabels!):P2} ({set.Test.Count} rows, {set.Train.Labels!.Count} classes)");

            var means = trajectory.Select(p => targetScale?.InverseTransform(p.Mean) ?? p.Mean).ToList();
            if (set is not null && meanPaths.Count == 1 && times.Count == 1)
                RegressCommand.AddPredictions(outputs, "--out-mean", meanPaths[0], means[0], set.Train, PredictionFix);
            else
                Add(outputs, "--out-mean", meanPaths, means, times, "mean", Enumerable.Range(1, y.Cols).Select(j => $"mean{j}").ToList());
            if (covPaths is not null)
            {
                double s2 = targetScale is null ? 1 : targetScale.Scales[0] * targetScale.Scales[0];
                var covs = trajectory.Select(p => p.Covariance is { } c ? new Matrix(c.Rows, c.Cols, c.Data.Select(v => v * s2).ToArray()) : new Matrix(p.Variance!.Length, 1, p.Variance.Select(v => v * s2).ToArray())).ToList();
                bool full = mode == CovarianceMode.Full;
                Add(outputs, "--out-cov", covPaths, covs, times, full ? "covariance" : "variances",
                    full ? Enumerable.Range(1, xs.Rows).Select(j => $"cov{j}").ToList() : ["variance"]);
            }
            if (plotPath is not null)
            {
                var xsPlot = plotted.Select(v => Math.Log10(v.Time)).ToArray();
                var ysPlot = plotted.Select(v => truth is not null ? errors[v.Index] : norms[v.Index]).ToArray();
                var bytes = Charts.Lines(truth is not null ? "test error of the ensemble against training time" : "norm of the mean prediction against training time",
                    "log10(t)", truth is null ? "‖mean‖_F" : biasOnly ? "bias of the test loss per entry (--cov none)" : "expected test loss per entry (bias + variance)", [new Series(kind.ToString().ToUpperInvariant() + " ensemble", xsPlot, ysPlot)]);
                outputs.AddPng("--plot", plotPath, bytes, "plot");
            }
            outputs.WriteAll(output);
            return TangentCli.Ok;
        });
        return cmd;
    }

    /// <summary>
    /// The checks of --kernel-store (docs/SOLVERS.md, "Ensemble means from a kernel store") before anything is read: a store path; the mean
    /// only (no --cov diag|full, no --out-cov); not --method eigen; a ridge when inf is among the times; and --chunk, --tolerance and
    /// --max-iterations only with a store. (--y-test without --cov none is refused once the data say whether there are test targets.)
    /// </summary>
    private static void CheckStoreOptions(ParseResult r, string? storePath, EnsembleMethod method, CovarianceMode mode, List<double> times,
        Option<string> cov, Option<FileInfo?> outCov, Option<double> ridge, Option[] storeOnly)
    {
        bool Given(Option o) => r.GetResult(o) is { Implicit: false };
        if (storePath is null)
        {
            foreach (var o in storeOnly)
                if (Given(o)) throw new CliError($"{o.Name} applies only to the train-train kernel in a store: give --kernel-store K.zarr too.", $"drop {o.Name}, or add --kernel-store K.zarr --cov none.");
            return;
        }
        TrainKernelStore.RequirePath(storePath);
        if (method == EnsembleMethod.Eigen)
            throw new CliError("--kernel-store computes the mean by Lanczos (Krylov products streamed from the store); --method eigen needs the whole kernel in memory.",
                "drop --method eigen (--kernel-store implies lanczos), or drop --kernel-store.");
        if (mode != CovarianceMode.None && Given(cov))
            throw new CliError($"--kernel-store computes the ensemble mean only, but --cov {r.GetValue(cov)} asks for the covariance.", "give --cov none, or drop --kernel-store.");
        if (mode != CovarianceMode.None && Given(outCov))
            throw new CliError("--kernel-store computes the ensemble mean only, but --out-cov asks for the covariance.", "drop --out-cov and give --cov none, or drop --kernel-store.");
        if (times.Any(double.IsPositiveInfinity) && r.GetValue(ridge) == 0)
            throw new CliError("--kernel-store solves t = inf by conjugate gradient on (K + λI)·α = Y, which needs a ridge λ > 0, but --ridge is 0.",
                "give --ridge (e.g. --ridge 1e-6 --ridge-relative), or leave inf out of --time.");
    }

    /// <summary>The hint for a mean or covariance that is not finite.</summary>
    internal const string PredictionFix = "the kernel solve or the time evolution overflowed: add a ridge (--ridge 1e-6 --ridge-relative), lower --learning-rate, or scale the inputs.";

    /// <summary>One path (one time, or all times stacked) or one per time with --per-time; each reserved in the plan.</summary>
    private static List<string> Paths(OutputPlan outputs, string option, FileInfo file, List<double> times, bool perTime)
    {
        string full = outputs.Declare(option, file);
        if (!perTime) return [full];
        var paths = new List<string>();
        for (int i = 0; i < times.Count; i++)
        {
            string p = WithTime(full, i, times[i], times.Count);
            outputs.Reserve(option, p);
            paths.Add(p);
        }
        return paths;
    }

    /// <summary>One matrix per path when there is a path per time (one time, or --per-time); else one stacked file.</summary>
    private static void Add(OutputPlan outputs, string option, List<string> paths, List<Matrix> slices, List<double> times, string what, IReadOnlyList<string> names)
    {
        if (paths.Count == slices.Count)
        {
            for (int i = 0; i < paths.Count; i++)
                outputs.AddMatrix(option, paths[i], slices[i], times.Count > 1 ? $"{what} at t = {OutputPlan.FormatTime(times[i])}" : what, PredictionFix);
            return;
        }
        outputs.AddStack(option, paths[0], slices, times, what, PredictionFix, names);
    }

    internal static List<double> ParseTimes(string text)
    {
        var list = new List<double>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (part is "inf" or "∞" or "infinity" or "Infinity") list.Add(double.PositiveInfinity);
            else if (double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out double t) && t >= 0 && double.IsFinite(t)) list.Add(t);
            else throw new CliError($"--time: '{part}' is not a time ≥ 0 or 'inf'.", "e.g. --time 0,10,100,inf");
        }
        if (list.Count == 0) throw new CliError("--time is empty.", "e.g. --time inf or --time 1,10,100");
        return list;
    }

    /// <summary>
    /// The per-time file name: NAME_tINDEX_TIME.EXT with INDEX the position in --time (from 0, at least
    /// four digits) and TIME the exact time (shortest round-trip text, or inf), so names never collide.
    /// </summary>
    internal static string WithTime(string path, int index, double t, int count)
    {
        string dir = Path.GetDirectoryName(path) ?? "";
        string name = Path.GetFileName(path);
        int dot = name.IndexOf('.', StringComparison.Ordinal);
        string stem = dot < 0 ? name : name[..dot], ext = dot < 0 ? "" : name[dot..];
        int digits = Math.Max(4, (count - 1).ToString(CultureInfo.InvariantCulture).Length);
        return Path.Combine(dir, $"{stem}_t{index.ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0')}_{OutputPlan.FormatTime(t)}{ext}");
    }
}
