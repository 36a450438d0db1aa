using Tangent.Models;
using Tangent.Numerics;

namespace Tangent.Experiments;

/// <summary>Settings of <see cref="LinearExperiment"/>.</summary>
public sealed record LinearSettings
{
    /// <summary>Training points n.</summary>
    public int TrainPoints { get; init; } = 40;

    /// <summary>Dimension of the true model (the model sees the first d of these features).</summary>
    public int TotalFeatures { get; init; } = 200;

    /// <summary>Feature counts d used by the model.</summary>
    public int[] Features { get; init; } = [5, 10, 20, 30, 35, 38, 40, 42, 45, 50, 60, 80, 120, 200];

    /// <summary>Label noise standard deviation.</summary>
    public double Noise { get; init; } = 0.2;

    /// <summary>Seeds averaged over.</summary>
    public int Seeds { get; init; } = 10;

    /// <summary>Base seed.</summary>
    public int Seed { get; init; }
}

/// <summary>
/// Lecture 2 (MIT 6.S088): linear regression across the under- (d &lt; n), sufficiently (d = n) and
/// over-parameterized (d &gt; n) regimes. The data follow y = x·β + noise with x ~ N(0, I_D), β ~ N(0, I/D);
/// the model sees the first d coordinates and fits the minimum-norm solution w = X⁺y (OLS below n).
/// The test error against d/n shows linear double descent, peaking at d = n. Gradient descent from 0 at
/// η = 1/σ₁² reaches the same solution (the distance is reported) below the bound 2/σ₁².
/// </summary>
public static class LinearExperiment
{
    /// <summary>One d.</summary>
    /// <param name="Features">d.</param>
    /// <param name="TestMse">Mean test MSE of the minimum-norm solution.</param>
    /// <param name="GdDistance">Mean ‖w_GD − w_min-norm‖ / ‖w_min-norm‖ (first seed).</param>
    /// <param name="StableBound">2/σ₁² for the first seed.</param>
    public sealed record Point(int Features, double TestMse, double GdDistance, double StableBound);

    /// <summary>Runs the experiment.</summary>
    public static IReadOnlyList<Point> Run(LinearSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Features.Any(d => d < 1 || d > settings.TotalFeatures))
            throw new ArgumentOutOfRangeException(nameof(settings), $"Feature counts must lie in [1, {settings.TotalFeatures}] (TotalFeatures).");
        int n = settings.TrainPoints, big = settings.TotalFeatures, m = 500;
        var test = new double[settings.Features.Length];
        var dist = new double[settings.Features.Length];
        var bound = new double[settings.Features.Length];
        for (int s = 0; s < settings.Seeds; s++)
        {
            var rng = new Random(settings.Seed * 1000 + s);
            var beta = Enumerable.Range(0, big).Select(_ => KernelsExperiment.Normal(rng) / Math.Sqrt(big)).ToArray();
            var x = Matrix.Build(n, big, (_, _) => KernelsExperiment.Normal(rng));
            var xt = Matrix.Build(m, big, (_, _) => KernelsExperiment.Normal(rng));
            double Dot(Span<double> r) { double v = 0; for (int j = 0; j < big; j++) v += r[j] * beta[j]; return v; }
            var y = Matrix.Build(n, 1, (i, _) => Dot(x.Row(i)) + settings.Noise * KernelsExperiment.Normal(rng));
            var yt = Matrix.Build(m, 1, (i, _) => Dot(xt.Row(i)));
            for (int k = 0; k < settings.Features.Length; k++)
            {
                var cols = Enumerable.Range(0, settings.Features[k]).ToArray();
                var xd = x.SelectColumns(cols);
                var model = new LinearRegression().Fit(xd, y);
                test[k] += Metrics.MeanSquaredError(model.Predict(xt.SelectColumns(cols)), yt) / settings.Seeds;
                if (s == 0)
                {
                    var gd = new LinearRegression { Method = LinearMethod.GradientDescent, MaxSteps = 200_000, LossEvery = 0 }.Fit(xd, y);
                    var w = model.Weights; var wg = gd.Weights;
                    double num = 0, den = 0;
                    for (int j = 0; j < w.Data.Length; j++) { num += (w.Data[j] - wg.Data[j]) * (w.Data[j] - wg.Data[j]); den += w.Data[j] * w.Data[j]; }
                    dist[k] = Math.Sqrt(num / den);
                    bound[k] = LinearRegression.StableLearningRateBound(xd);
                }
            }
        }
        return settings.Features.Select((d, k) => new Point(d, test[k], dist[k], bound[k])).ToArray();
    }

    /// <summary>Adds the experiment's section to a report.</summary>
    public static void AddTo(Report report, IReadOnlyList<Point> r, LinearSettings s, string prefix = "linear")
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(s);
        report.Paragraph($"Linear regression (course lecture 2) with n = {s.TrainPoints} training points: y = x·β + N(0, {s.Noise}²), x ~ N(0, I_{s.TotalFeatures}), " +
                         $"β ~ N(0, I/{s.TotalFeatures}); the model sees the first d coordinates and takes the minimum-norm solution X⁺y. Test error averaged over " +
                         $"{s.Seeds} seeds. What to see: under-parameterized (d < n) the error first falls, explodes at d = n (X is square and ill-conditioned), " +
                         "and falls again over-parameterized (d > n): linear double descent. Gradient descent from w = 0 below 2/σ₁² lands on the same solution.");
        report.Image($"{prefix}.png", Charts.Lines("Linear double descent", "d/n", "log10(test MSE)",
            [new Series("minimum-norm least squares", r.Select(p => (double)p.Features / s.TrainPoints).ToArray(), r.Select(p => Math.Log10(p.TestMse)).ToArray())]),
            "test error against d/n");
        report.Table(["d", "d/n", "test MSE", "GD vs min-norm (relative)", "2/σ₁²"],
            r.Select(p => (IReadOnlyList<string>)[p.Features.ToString(System.Globalization.CultureInfo.InvariantCulture), Report.Num((double)p.Features / s.TrainPoints),
                Report.Num(p.TestMse), Report.Num(p.GdDistance), Report.Num(p.StableBound)]), $"{prefix}.csv");
        report.Setting($"{prefix}.train_points", s.TrainPoints);
        report.Setting($"{prefix}.total_features", s.TotalFeatures);
        report.Setting($"{prefix}.seeds", s.Seeds);
        report.Setting($"{prefix}.seed", s.Seed);
    }
}
