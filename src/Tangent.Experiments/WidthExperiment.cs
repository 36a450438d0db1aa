using Tangent.Dynamics;
using Tangent.Engine;
using Tangent.Networks;
using Tangent.Numerics;

namespace Tangent.Experiments;

/// <summary>Settings of <see cref="WidthExperiment"/>.</summary>
public sealed record WidthSettings
{
    /// <summary>Training points on the unit circle.</summary>
    public int TrainPoints { get; init; } = 30;

    /// <summary>Hidden widths.</summary>
    public int[] Widths { get; init; } = [8, 32, 128, 512, 2048, 8192];

    /// <summary>Full-batch gradient-descent steps.</summary>
    public int Steps { get; init; } = 400;

    /// <summary>Learning rate as a fraction of the infinite-width NTK's 2N/λ_max.</summary>
    public double LearningRateFraction { get; init; } = 0.5;

    /// <summary>The one-hidden-layer ReLU architecture.</summary>
    public string Architecture { get; init; } = "dense(w=1.5,b=0.1) relu dense(w=1.5,b=0.1)";

    /// <summary>Networks per width (different initialisations); errors and distances are averaged over them.</summary>
    public int Repeats { get; init; } = 2;

    /// <summary>Random seed (training angles and network draws).</summary>
    public int Seed { get; init; } = 1;
}

/// <summary>
/// The course's width simulation (MIT 6.S088, NTK lecture): inputs on the unit circle x = (cos θ, sin θ),
/// target g(s) = s + sin(10·s) with s = θ/π ∈ [−1, 1); one-hidden-layer ReLU networks of growing width
/// trained by full-batch gradient descent on the MSE loss (docs/MATH.md §4), against the NTK prediction at
/// the same training time (the infinite ensemble's mean, <see cref="InfiniteEnsemble"/>). The network is
/// centred, f(x) − f(x; θ₀) (trained on Y + f₀(X)), so that its infinite-width limit is exactly that mean
/// and not a random function; the distance to the NTK prediction then shrinks like 1/√width.
/// </summary>
public static class WidthExperiment
{
    /// <summary>The target as a function of s = θ/π.</summary>
    public static double Target(double s) => s + Math.Sin(10 * s);

    /// <summary>One width's outcome.</summary>
    /// <param name="Width">Hidden width.</param>
    /// <param name="TrainLoss">Final training loss 1/(2N)·Σ(f − y)² (mean over repeats).</param>
    /// <param name="TestMse">Test MSE against g on the grid (mean over repeats).</param>
    /// <param name="DistanceToNtk">RMS distance between the network and the NTK prediction on the grid (mean over repeats).</param>
    /// <param name="Curve">The first network's predictions on the grid.</param>
    public sealed record WidthRow(int Width, double TrainLoss, double TestMse, double DistanceToNtk, double[] Curve);

    /// <summary>The results.</summary>
    /// <param name="TrainS">Training s = θ/π.</param>
    /// <param name="TrainY">Training targets.</param>
    /// <param name="GridS">Test grid s.</param>
    /// <param name="NtkCurve">NTK prediction at the same training time.</param>
    /// <param name="NtkTestMse">Its test MSE.</param>
    /// <param name="NtkRegressionTestMse">Test MSE of NTK kernel regression (t = ∞).</param>
    /// <param name="LearningRate">η used.</param>
    /// <param name="Rows">One row per width.</param>
    public sealed record Result(double[] TrainS, double[] TrainY, double[] GridS, double[] NtkCurve, double NtkTestMse,
        double NtkRegressionTestMse, double LearningRate, IReadOnlyList<WidthRow> Rows);

    /// <summary>Points on the unit circle for angles s·π.</summary>
    public static Matrix Circle(IReadOnlyList<double> s) => Matrix.Build(s.Count, 2, (i, j) => j == 0 ? Math.Cos(Math.PI * s[i]) : Math.Sin(Math.PI * s[i]));

    /// <summary>Runs the experiment.</summary>
    public static Result Run(WidthSettings settings, IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.TrainPoints < 2) throw new ArgumentOutOfRangeException(nameof(settings), $"At least 2 training points are needed, got {settings.TrainPoints}.");
        if (settings.Widths.Length == 0 || settings.Widths.Any(w => w < 1)) throw new ArgumentOutOfRangeException(nameof(settings), "Widths must be ≥ 1 (e.g. 8,32,128,512).");
        var arch = Layers.Architecture.Parse(settings.Architecture);
        var rng = new Random(settings.Seed);
        int n = settings.TrainPoints;
        var s = Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 2 - 1).Order().ToArray();
        var y = new Matrix(n, 1, s.Select(Target).ToArray());
        var grid = Enumerable.Range(0, 200).Select(i => -1 + 2.0 * i / 200).ToArray();
        var x = Circle(s);
        var xt = Circle(grid);

        var train = arch.ComputeKernels(x);
        var cross = arch.ComputeKernels(xt, x);
        double maxLr = 2.0 * n / LinearAlgebra.Eigen(train.Ntk).Values.Max();
        double eta = settings.LearningRateFraction * maxLr;
        var ensemble = InfiniteEnsemble.Ntk(train.Ntk, null, y, new DynamicsOptions { LearningRate = eta });
        var tk = new TestKernels { NtkTestTrain = cross.Ntk };
        var ntkCurve = ensemble.Predict(settings.Steps, tk, CovarianceMode.None).Mean.Data;
        var ntkInf = ensemble.Predict(double.PositiveInfinity, tk, CovarianceMode.None).Mean.Data;

        var rows = new List<WidthRow>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long total = settings.Widths.Sum(w => (long)w), done = 0; // progress weighted by width (the cost per step)
        foreach (int width in settings.Widths)
        {
            cancellationToken.ThrowIfCancellationRequested();
            double loss = 0, mse = 0, dist = 0;
            double[]? first = null;
            for (int rep = 0; rep < Math.Max(1, settings.Repeats); rep++)
            {
                var net = Network.Create(arch, 2, width, 1, settings.Seed * 7919 + width * 31 + rep);
                var f0 = net.Predict(x);
                var f0t = net.Predict(xt);
                var target = new Matrix(n, 1);
                for (int i = 0; i < n; i++) target.Data[i] = y.Data[i] + f0.Data[i];
                var trace = Training.Train(net, x, target, new TrainingOptions { LearningRate = eta, Steps = settings.Steps }, null, cancellationToken);
                var ft = net.Predict(xt);
                var curve = new double[grid.Length];
                for (int i = 0; i < grid.Length; i++) curve[i] = ft.Data[i] - f0t.Data[i];
                first ??= curve;
                loss += trace.FinalLoss; mse += Mse(curve, grid); dist += Rms(curve, ntkCurve);
            }
            int reps = Math.Max(1, settings.Repeats);
            rows.Add(new WidthRow(width, loss / reps, mse / reps, dist / reps, first!));
            done += width;
            progress?.Report(new ProgressInfo(done, total, "width", clock.Elapsed));
        }
        return new Result(s, y.Data, grid, ntkCurve, Mse(ntkCurve, grid), Mse(ntkInf, grid), eta, rows);
    }

    private static double Mse(double[] f, double[] grid) => grid.Select((g, i) => (f[i] - Target(g)) * (f[i] - Target(g))).Average();

    private static double Rms(double[] a, double[] b) => Math.Sqrt(a.Select((v, i) => (v - b[i]) * (v - b[i])).Average());

    /// <summary>Adds the experiment's section to a report.</summary>
    public static void AddTo(Report report, Result r, WidthSettings s, string prefix = "width")
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(s);
        report.Paragraph($"Inputs on the unit circle x = (cos θ, sin θ); the coordinate of the target is s = θ/π ∈ [−1, 1), g(s) = s + sin(10s). " +
                         $"{r.TrainS.Length} training angles drawn uniformly; the test grid is 200 equally spaced angles. Networks `{s.Architecture}` " +
                         $"('ntk' parameterization) of widths {string.Join(", ", s.Widths)} are trained by full-batch gradient descent on 1/(2N)·Σ(f − y)² for " +
                         $"{s.Steps} steps ({s.Repeats} networks per width, errors averaged) at η = {Report.Num(r.LearningRate)} ({s.LearningRateFraction} × 2N/λ_max of the infinite-width NTK). " +
                         "Each network is centred (f(x) − f(x; θ₀)), so its infinite-width limit is the NTK prediction at the same time t, " +
                         "Θ*ₓΘ⁻¹(I − e^{−ηtΘ/N})Y. What to see: the distance to the NTK prediction falls as the width grows. The line marks the 1/√width rate that the theory gives for the fluctuations of a network around its limit; with a few networks per width the measured decay can be slower and uneven (see the table), so read the trend, not the slope.");
        report.Image($"{prefix}-distance.png",
            Charts.Lines("Distance between the trained network and the NTK prediction", "log2(width)", "log10(RMS distance)",
            [
                new Series("network vs NTK (same t)", r.Rows.Select(w => Math.Log2(w.Width)).ToArray(), r.Rows.Select(w => Math.Log10(w.DistanceToNtk)).ToArray(), Points: true),
                new Series("slope −1/2 (1/√width)", r.Rows.Select(w => Math.Log2(w.Width)).ToArray(),
                    r.Rows.Select(w => Math.Log10(r.Rows[0].DistanceToNtk) - 0.5 * Math.Log10((double)w.Width / r.Rows[0].Width)).ToArray()),
            ]), "distance to the NTK prediction against width");
        var fits = new List<Series>
        {
            new("target g", r.GridS, r.GridS.Select(Target).ToArray()),
            new("training points", r.TrainS, r.TrainY, Points: true),
            new("NTK prediction", r.GridS, r.NtkCurve),
        };
        foreach (var w in r.Rows.Where((_, i) => i == 0 || i == r.Rows.Count / 2 || i == r.Rows.Count - 1))
            fits.Add(new Series($"width {w.Width}", r.GridS, w.Curve));
        report.Image($"{prefix}-fits.png", Charts.Lines("Trained networks against the NTK prediction", "s = θ/π", "f", fits, (-3, 3)), "fits");
        report.Table(["width", "train loss", "test MSE", "RMS distance to NTK"],
            r.Rows.Select(w => (IReadOnlyList<string>)[w.Width.ToString(System.Globalization.CultureInfo.InvariantCulture), Report.Num(w.TrainLoss), Report.Num(w.TestMse), Report.Num(w.DistanceToNtk)]),
            $"{prefix}-results.csv");
        report.Paragraph($"NTK prediction at the same time: test MSE {Report.Num(r.NtkTestMse)}; NTK kernel regression (t = ∞): test MSE {Report.Num(r.NtkRegressionTestMse)}.");
        report.Setting($"{prefix}.architecture", s.Architecture);
        report.Setting($"{prefix}.train_points", s.TrainPoints);
        report.Setting($"{prefix}.widths", string.Join(",", s.Widths));
        report.Setting($"{prefix}.steps", s.Steps);
        report.Setting($"{prefix}.repeats", s.Repeats);
        report.Setting($"{prefix}.learning_rate", r.LearningRate);
        report.Setting($"{prefix}.seed", s.Seed);
    }
}
