using Tangent.Dynamics;
using Tangent.Kernels;
using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Experiments;

/// <summary>Settings of <see cref="KernelsExperiment"/>.</summary>
public sealed record KernelsSettings
{
    /// <summary>Training points.</summary>
    public int TrainPoints { get; init; } = 20;

    /// <summary>Standard deviation of the label noise.</summary>
    public double Noise { get; init; } = 0.1;

    /// <summary>Gaussian γ values (exp(-γ‖x − x'‖²)).</summary>
    public double[] GaussianGammas { get; init; } = [3, 30, 300];

    /// <summary>Laplace γ values (exp(-γ‖x − x'‖)).</summary>
    public double[] LaplaceGammas { get; init; } = [1, 5, 25];

    /// <summary>The ridge compared with interpolation (λ = 0).</summary>
    public double Ridge { get; init; } = 0.1;

    /// <summary>Random seed.</summary>
    public int Seed { get; init; } = 1;
}

/// <summary>
/// Lecture 3's kernel figures (MIT 6.S088): kernel regression on 1-D data with the Gaussian and the
/// Laplace kernel over several bandwidths, the minimum-norm interpolant against ridge regression.
/// Target f(x) = sin(4x) + x/2 on [-1, 1], noisy labels; test error against the noiseless f on a grid.
/// </summary>
public static class KernelsExperiment
{
    /// <summary>The target function.</summary>
    public static double Target(double x) => Math.Sin(4 * x) + 0.5 * x;

    /// <summary>One fitted configuration.</summary>
    /// <param name="Kernel">Kernel description.</param>
    /// <param name="Gamma">γ.</param>
    /// <param name="Ridge">λ.</param>
    /// <param name="TrainMse">Mean squared error on the noisy training labels.</param>
    /// <param name="TestMse">Mean squared error against f on the test grid in [-1, 1].</param>
    /// <param name="Curve">Predictions on the plotting grid.</param>
    public sealed record Fit(string Kernel, double Gamma, double Ridge, double TrainMse, double TestMse, double[] Curve);

    /// <summary>The results, for tests and the report.</summary>
    /// <param name="XTrain">Training inputs.</param>
    /// <param name="YTrain">Noisy labels.</param>
    /// <param name="Grid">Plotting grid on [-1.3, 1.3].</param>
    /// <param name="Fits">Every configuration.</param>
    public sealed record Result(double[] XTrain, double[] YTrain, double[] Grid, IReadOnlyList<Fit> Fits);

    /// <summary>Runs the experiment.</summary>
    public static Result Run(KernelsSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.TrainPoints < 2) throw new ArgumentOutOfRangeException(nameof(settings), "At least 2 training points are needed.");
        var rng = new Random(settings.Seed);
        int n = settings.TrainPoints;
        var xs = Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 2 - 1).Order().ToArray();
        var ys = xs.Select(x => Target(x) + settings.Noise * Normal(rng)).ToArray();
        var grid = Enumerable.Range(0, 261).Select(i => -1.3 + 0.01 * i).ToArray();
        var xTrain = new Matrix(n, 1, (double[])xs.Clone());
        var yTrain = new Matrix(n, 1, (double[])ys.Clone());
        var xGrid = new Matrix(grid.Length, 1, (double[])grid.Clone());

        var fits = new List<Fit>();
        foreach (var (kind, gammas) in new[] { (KernelKind.Gaussian, settings.GaussianGammas), (KernelKind.Laplace, settings.LaplaceGammas) })
            foreach (double g in gammas)
                foreach (double lambda in new[] { 0.0, settings.Ridge })
                {
                    var kernel = new ClassicalKernel(kind, g);
                    var model = new KernelRegression(kernel) { Ridge = Ridge.Absolute(lambda) }.Fit(xTrain, yTrain);
                    var curve = model.Predict(xGrid).Data;
                    double train = Metrics.MeanSquaredError(model.Predict(xTrain), yTrain);
                    double test = 0;
                    int count = 0;
                    for (int i = 0; i < grid.Length; i++)
                        if (Math.Abs(grid[i]) <= 1.0 + 1e-12)
                        {
                            double e = curve[i] - Target(grid[i]);
                            test += e * e;
                            count++;
                        }
                    fits.Add(new Fit(kind.ToString().ToLowerInvariant(), g, lambda, train, test / count, curve));
                }
        return new Result(xs, ys, grid, fits);
    }

    /// <summary>Adds the experiment's section (plots and table) to a report.</summary>
    public static void AddTo(Report report, Result r, KernelsSettings s, string prefix = "kernels")
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(s);
        var truth = new Series("f(x) = sin(4x) + x/2", r.Grid, r.Grid.Select(Target).ToArray());
        var points = new Series($"{r.XTrain.Length} noisy samples", r.XTrain, r.YTrain, Points: true);
        report.Paragraph($"One-dimensional kernel regression (course lecture 3). {r.XTrain.Length} samples of f(x) = sin(4x) + x/2 on [-1, 1] with Gaussian noise σ = {s.Noise}; " +
                         "the test error is measured against the noiseless f on a grid in [-1, 1]. The plots extend to ±1.3 to show extrapolation. " +
                         "What to see: a wide Gaussian (small γ) makes the kernel matrix nearly singular, so the interpolant that must pass through every noisy " +
                         "label swings wildly between close samples; a narrow one (large γ) interpolates with spikes and falls back to 0 between samples; " +
                         "the Laplace kernel interpolates benignly at every bandwidth; a small ridge λ tames all of them.");
        foreach (string kind in new[] { "gaussian", "laplace" })
        {
            var interp = r.Fits.Where(f => f.Kernel == kind && f.Ridge == 0).ToList();
            var series = new List<Series> { truth, points };
            series.AddRange(interp.Select(f => new Series($"γ = {f.Gamma:G4}", r.Grid, f.Curve)));
            report.Image($"{prefix}-{kind}-bandwidths.png",
                Charts.Lines($"{kind} kernel, minimum-norm interpolation, several γ", "x", "prediction", series, (-2.5, 2.5)),
                $"{kind} kernel interpolation over bandwidths");
        }
        var mid = r.Fits.Where(f => f.Kernel == "gaussian").Select(f => f.Gamma).Distinct().OrderBy(g => g).ElementAt(Math.Min(1, s.GaussianGammas.Length - 1));
        var pair = r.Fits.Where(f => f.Kernel == "gaussian" && f.Gamma == mid).ToList();
        report.Image($"{prefix}-interpolation-vs-ridge.png",
            Charts.Lines($"Gaussian kernel γ = {mid:G4}: interpolation (λ = 0) vs ridge (λ = {s.Ridge})", "x", "prediction",
                new[] { truth, points }.Concat(pair.Select(f => new Series($"λ = {f.Ridge:G3}", r.Grid, f.Curve))), (-2.5, 2.5)),
            "interpolation versus ridge");
        report.Table(["kernel", "γ", "λ", "train MSE", "test MSE"],
            r.Fits.Select(f => (IReadOnlyList<string>)[f.Kernel, Report.Num(f.Gamma), Report.Num(f.Ridge), Report.Num(f.TrainMse), Report.Num(f.TestMse)]),
            $"{prefix}-errors.csv");
    }

    internal static double Normal(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
