using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Tangent.Data;
using Tangent.Dynamics;
using Tangent.Experiments;
using Tangent.Layers;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Cli;

/// <summary>`tangent predict`: infinite-ensemble predictions at any training time.</summary>
internal static class PredictCommand
{
    public static Command Create(TextWriter output)
    {
        var cmd = new Command("predict", "Predict the mean (and covariance) of an infinite ensemble of networks trained by gradient descent on MSE, at any time (MATH.md §4).");
        var arch = new Option<string>("--arch") { Description = "The architecture (docs/LAYERS.md).", Required = true };
        var get = new Option<string>("--get") { Description = "ntk: all layers trained; nngp: only the last layer (at t = ∞: exact GP inference).", DefaultValueFactory = _ => "ntk" };
        var xTrain = new Option<FileInfo?>("--x-train") { Description = "Training inputs (.csv or .npy; a 4-D .npy holds images). Or use --images." };
        var yTrain = new Option<FileInfo?>("--y-train") { Description = "Training targets (one row per input)." };
        var xTest = new Option<FileInfo?>("--x-test") { Description = "Test inputs." };
        var yTest = new Option<FileInfo?>("--y-test") { Description = "Test targets: prints bias, variance and total of the generalization error (eq. 10.52), and accuracy for one-hot targets." };
        var time = new Option<string>("--time") { Description = "Training time t (steps of GD, continuous) or inf; a comma-separated list gives a trajectory.", DefaultValueFactory = _ => "inf" };
        var lr = new Option<double>("--learning-rate") { Description = "Learning rate η (τ = η·t/N, N = entries of Y_train); must be below 2N/λmax.", DefaultValueFactory = _ => 1.0 };
        var ridge = new Option<double>("--ridge") { Description = "Ridge λ added to the kernel that is inverted and exponentiated.", DefaultValueFactory = _ => 0.0 };
        var relative = new Option<bool>("--ridge-relative") { Description = "λ is relative to the mean diagonal of that kernel." };
        var outMean = new Option<FileInfo>("--out-mean") { Description = "Mean predictions (.csv or .npy); with several times, one file per time (name_t<T>.ext).", Required = true };
        var outCov = new Option<FileInfo?>("--out-cov") { Description = "Covariance output: the variances (n*×1) with --cov diag, the n*×n* matrix with --cov full." };
        var cov = new Option<string>("--cov") { Description = "diag or full.", DefaultValueFactory = _ => "diag" };
        var plot = new Option<FileInfo?>("--plot") { Description = "PNG of the test error (needs --y-test) or of the mean's norm against time." };
        var force = new Option<bool>("--force") { Description = "Accept a learning rate above the stable bound." };
        var provider = CommonOptions.Provider();
        foreach (var o in new Option[] { arch, get, xTrain, yTrain, xTest, yTest, time, lr, ridge, relative, outMean, outCov, cov, plot, force, provider }) cmd.Options.Add(o);
        var images = new ImageInputs();
        images.AddTo(cmd);
        cmd.SetAction(r =>
        {
            CommonOptions.ApplyProvider(r.GetValue(provider));
            var architecture = Architecture.Parse(r.GetValue(arch)!);
            var kind = KernelOptions.ParseGet(r.GetValue(get)) == KernelOutputs.Ntk ? EnsembleKind.Ntk : EnsembleKind.Nngp;
            var times = ParseTimes(r.GetValue(time)!);
            var mode = (r.GetValue(cov) ?? "diag").Trim().ToLowerInvariant() switch
            {
                "diag" or "diagonal" => CovarianceMode.Diagonal,
                "full" => CovarianceMode.Full,
                var v => throw new ArgumentException($"--cov must be diag or full, not '{v}'."),
            };
            var (x, y, xs, imageTruth, shape) = RegressCommand.TrainTest(r, images, xTrain, yTrain, xTest, output);
            if (shape is { } imageShape) architecture = architecture.WithInputShape(imageShape);
            Matrix? truth = imageTruth ?? (r.GetValue(yTest) is { } yt ? MatrixFile.Read(yt.FullName) : null);
            if (truth is not null && (truth.Rows != xs.Rows || truth.Cols != y.Cols))
                throw new ArgumentException($"--y-test is {truth.Shape}; expected {xs.Rows}×{y.Cols} (one row per test input, as many columns as --y-train).");

            double lambda = r.GetValue(ridge);
            var config = new NeuralKernelRegressor(architecture)
            {
                Kernel = kind,
                LearningRate = r.GetValue(lr),
                Ridge = r.GetValue(relative) ? Ridge.Relative(lambda) : Ridge.Absolute(lambda),
                AllowUnstableLearningRate = r.GetValue(force),
            };
            bool wantCov = r.GetValue(outCov) is not null || truth is not null;
            var effectiveMode = wantCov ? mode : CovarianceMode.None;
            var model = CliProgress.Run($"train kernels {x.Rows}×{x.Rows}", p => config.Fit(x, y, p));
            var test = CliProgress.Run($"test kernels {xs.Rows}×{x.Rows}", p => model.TestKernelsFor(xs, effectiveMode, p));
            var trajectory = model.Ensemble.PredictTrajectory(times, test, effectiveMode);
            output.WriteLine($"{(kind == EnsembleKind.Ntk ? "NTK" : "NNGP")} ensemble of {architecture}: {x.Rows} train, {xs.Rows} test, η = {config.LearningRate:G6} (stable below {model.MaxLearningRate:G6}), λ = {model.Ensemble.RidgeValue:G6}");

            var table = new Table();
            table.AddColumns("t", "τ = ηt/N");
            if (truth is not null) table.AddColumns("bias", "variance", "total", "total / entry", "accuracy");
            var errors = new List<double>();
            var norms = new List<double>();
            foreach (var pred in trajectory)
            {
                string tau = double.IsPositiveInfinity(pred.Time) ? "∞" : model.Ensemble.Tau(pred.Time).ToString("G6", CultureInfo.InvariantCulture);
                var row = new List<string> { FormatTime(pred.Time), tau };
                norms.Add(pred.Mean.FrobeniusNorm());
                if (truth is not null)
                {
                    var e = GeneralizationError.Evaluate(pred, truth);
                    errors.Add(e.TotalPerEntry);
                    row.AddRange([Report.Num(e.Bias), Report.Num(e.Variance), Report.Num(e.Total), Report.Num(e.TotalPerEntry), e.Accuracy is { } a ? $"{a:P2}" : "—"]);
                }
                table.AddRow(row.Select(Markup.Escape).ToArray());
                WriteOutputs(r.GetValue(outMean)!.FullName, r.GetValue(outCov)?.FullName, pred, times.Count > 1, output);
            }
            Terminal.For(output).Write(table);
            if (r.GetValue(plot) is { } png)
            {
                var finite = trajectory.Select((p, i) => (p.Time, i)).Where(v => double.IsFinite(v.Time) && v.Time > 0).ToList();
                if (finite.Count < 2) throw new ArgumentException("--plot needs at least two finite, positive times in --time (e.g. --time 1,10,100,1000,inf).");
                var xsPlot = finite.Select(v => Math.Log10(v.Time)).ToArray();
                var ysPlot = finite.Select(v => truth is not null ? errors[v.i] : norms[v.i]).ToArray();
                var bytes = Charts.Lines(truth is not null ? "test error of the ensemble against training time" : "norm of the mean prediction against training time",
                    "log10(t)", truth is not null ? "expected test loss per entry (bias + variance)" : "‖mean‖_F", [new Series(kind.ToString().ToUpperInvariant() + " ensemble", xsPlot, ysPlot)]);
                AtomicFile.Write(png.FullName, s => s.Write(bytes));
                output.WriteLine($"wrote plot {png.FullName}");
            }
            return TangentCli.Ok;
        });
        return cmd;
    }

    internal static List<double> ParseTimes(string text)
    {
        var list = new List<double>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (part is "inf" or "∞" or "infinity") list.Add(double.PositiveInfinity);
            else if (double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out double t) && t >= 0 && !double.IsNaN(t)) list.Add(t);
            else throw new ArgumentException($"--time: '{part}' is not a time ≥ 0 or 'inf'. Example: --time 0,10,100,inf");
        }
        if (list.Count == 0) throw new ArgumentException("--time is empty. Example: --time inf or --time 1,10,100");
        return list;
    }

    private static string FormatTime(double t) => double.IsPositiveInfinity(t) ? "inf" : t.ToString("G6", CultureInfo.InvariantCulture);

    private static void WriteOutputs(string meanPath, string? covPath, EnsemblePrediction pred, bool perTime, TextWriter output)
    {
        string Suffixed(string path) => perTime ? WithTime(path, pred.Time) : path;
        MatrixFile.Write(Suffixed(meanPath), pred.Mean);
        output.WriteLine($"wrote mean {pred.Mean.Shape} to {Suffixed(meanPath)}");
        if (covPath is null) return;
        Matrix? c = pred.Covariance ?? (pred.Variance is { } v ? new Matrix(v.Length, 1, (double[])v.Clone()) : null);
        if (c is null) return;
        MatrixFile.Write(Suffixed(covPath), c);
        output.WriteLine($"wrote covariance {c.Shape} to {Suffixed(covPath)}");
    }

    private static string WithTime(string path, double t)
    {
        string dir = Path.GetDirectoryName(path) ?? "";
        string name = Path.GetFileName(path);
        int dot = name.IndexOf('.', StringComparison.Ordinal);
        string stem = dot < 0 ? name : name[..dot], ext = dot < 0 ? "" : name[dot..];
        return Path.Combine(dir, $"{stem}_t{FormatTime(t)}{ext}");
    }
}
