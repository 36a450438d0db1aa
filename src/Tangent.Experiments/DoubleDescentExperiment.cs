using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Experiments;

/// <summary>Settings of <see cref="DoubleDescentExperiment"/>.</summary>
public sealed record DoubleDescentSettings
{
    /// <summary>Training points n.</summary>
    public int TrainPoints { get; init; } = 40;

    /// <summary>Test points.</summary>
    public int TestPoints { get; init; } = 400;

    /// <summary>Input dimension d.</summary>
    public int Dimension { get; init; } = 8;

    /// <summary>Standard deviation of the label noise.</summary>
    public double Noise { get; init; } = 0.3;

    /// <summary>Numbers of random features k (the hidden width).</summary>
    public int[] Features { get; init; } = [2, 5, 10, 20, 30, 35, 38, 40, 42, 45, 50, 60, 80, 120, 200, 400, 1000, 3000];

    /// <summary>Seeds averaged over (feature draws and data).</summary>
    public int Seeds { get; init; } = 5;

    /// <summary>Base random seed.</summary>
    public int Seed { get; init; }
}

/// <summary>
/// Random-features double descent (Belkin et al. 2019; Mei &amp; Montanari 2019): a width-k network
/// `dense relu dense` whose hidden layer is frozen at its random initialisation, with only the last layer
/// trained to convergence from zero, i.e. minimum-norm least squares on the k features
/// φ_j(x) = √(1/k)·ReLU(w_j·x/√d), w_j ~ N(0, I). The test error peaks where k crosses n (interpolation
/// threshold) and falls toward the ridgeless NNGP kernel regression of the infinite-width network as k → ∞.
/// Inputs are standard Gaussian in d dimensions; targets y = sin(x₁) + x₂·x₃/2 + noise.
/// </summary>
public static class DoubleDescentExperiment
{
    /// <summary>One k.</summary>
    /// <param name="Features">k.</param>
    /// <param name="TestMse">Mean test MSE (against noiseless targets) over seeds.</param>
    /// <param name="TrainMse">Mean train MSE over seeds.</param>
    public sealed record Point(int Features, double TestMse, double TrainMse);

    /// <summary>The results.</summary>
    /// <param name="Points">One per k.</param>
    /// <param name="NngpTestMse">Test MSE of ridgeless NNGP kernel regression (mean over seeds).</param>
    public sealed record Result(IReadOnlyList<Point> Points, double NngpTestMse);

    private static double Truth(ReadOnlySpan<double> x) => Math.Sin(x[0]) + 0.5 * x[1] * x[2];

    /// <summary>Runs the experiment.</summary>
    public static Result Run(DoubleDescentSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Dimension < 3) throw new ArgumentOutOfRangeException(nameof(settings), $"The target uses 3 coordinates: Dimension must be ≥ 3, got {settings.Dimension}.");
        if (settings.TrainPoints < 2 || settings.Seeds < 1) throw new ArgumentOutOfRangeException(nameof(settings), "Need ≥ 2 training points and ≥ 1 seed.");
        int n = settings.TrainPoints, d = settings.Dimension, m = settings.TestPoints;
        var test = new double[settings.Features.Length];
        var train = new double[settings.Features.Length];
        double nngp = 0;
        var arch = new Architecture(new Dense(1), ABRelu.Relu(), new Dense(1));
        for (int seed = 0; seed < settings.Seeds; seed++)
        {
            var rng = new Random(settings.Seed * 1000 + seed);
            var x = Matrix.Build(n, d, (_, _) => KernelsExperiment.Normal(rng));
            var xt = Matrix.Build(m, d, (_, _) => KernelsExperiment.Normal(rng));
            var y = Matrix.Build(n, 1, (i, _) => Truth(x.Row(i)) + settings.Noise * KernelsExperiment.Normal(rng));
            var yt = Matrix.Build(m, 1, (i, _) => Truth(xt.Row(i)));
            var k = arch.ComputeKernels(x, null, KernelOutputs.Nngp).Nngp;
            var kt = arch.ComputeKernels(xt, x, KernelOutputs.Nngp).Nngp;
            var alpha = LinearAlgebra.Eigen(k).PseudoInverseApply(y);
            nngp += Mse(LinearAlgebra.Multiply(kt, alpha), yt) / settings.Seeds;
            for (int f = 0; f < settings.Features.Length; f++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int kf = settings.Features[f];
                var w = Matrix.Build(kf, d, (_, _) => KernelsExperiment.Normal(rng));
                var phi = Features(x, w);
                var phiT = Features(xt, w);
                // Minimum-norm least squares: a = Φᵀ(ΦΦᵀ)⁺y, prediction Φ*·a = (Φ*Φᵀ)(ΦΦᵀ)⁺y.
                var gram = LinearAlgebra.Gram(phi);
                var c = LinearAlgebra.Eigen(gram).PseudoInverseApply(y);
                var predTrain = LinearAlgebra.Multiply(gram, c);
                var predTest = LinearAlgebra.Multiply(LinearAlgebra.Multiply(phiT, phi, Op.None, Op.Transpose), c);
                test[f] += Mse(predTest, yt) / settings.Seeds;
                train[f] += Mse(predTrain, y) / settings.Seeds;
            }
        }
        return new Result(settings.Features.Select((k, i) => new Point(k, test[i], train[i])).ToArray(), nngp);
    }

    /// <summary>φ(X) = √(1/k)·ReLU(X·Wᵀ/√d): the hidden layer of `dense relu` at its initialisation, scaled by the readout's 1/√k.</summary>
    private static Matrix Features(Matrix x, Matrix w)
    {
        var z = LinearAlgebra.Multiply(x, w, Op.None, Op.Transpose);
        double a = 1 / Math.Sqrt(x.Cols), b = 1 / Math.Sqrt(w.Rows);
        for (int i = 0; i < z.Data.Length; i++) z.Data[i] = b * Math.Max(a * z.Data[i], 0);
        return z;
    }

    private static double Mse(Matrix a, Matrix b) => a.Data.Select((v, i) => (v - b.Data[i]) * (v - b.Data[i])).Average();

    /// <summary>The k with the largest test error.</summary>
    public static int PeakFeatures(Result r) => r.Points.MaxBy(p => p.TestMse)!.Features;

    /// <summary>Adds the experiment's section to a report.</summary>
    public static void AddTo(Report report, Result r, DoubleDescentSettings s, string prefix = "double-descent")
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(s);
        report.Paragraph($"Random-features regression: the hidden layer of a width-k `dense relu dense` network is frozen at initialisation and only the " +
                         $"last layer is trained (to convergence from zero, i.e. minimum-norm least squares on the k features). n = {s.TrainPoints} training " +
                         $"points x ~ N(0, I_{s.Dimension}), y = sin(x₁) + x₂x₃/2 + N(0, {s.Noise}²); test error against the noiseless target on {s.TestPoints} points, " +
                         $"averaged over {s.Seeds} seeds. What to see: the test error peaks at k ≈ n (the interpolation threshold: here at k = {PeakFeatures(r)}) " +
                         $"and then falls toward the ridgeless NNGP kernel regression of the infinite-width network (test MSE {Report.Num(r.NngpTestMse)}).");
        var ks = r.Points.Select(p => Math.Log10(p.Features)).ToArray();
        report.Image($"{prefix}.png", Charts.Lines("Double descent of random-features regression", "log10(k)", "log10(test MSE)",
        [
            new Series("random features (last layer trained)", ks, r.Points.Select(p => Math.Log10(p.TestMse)).ToArray()),
            new Series("NNGP limit (k → ∞)", [ks[0], ks[^1]], [Math.Log10(r.NngpTestMse), Math.Log10(r.NngpTestMse)]),
            new Series($"k = n = {s.TrainPoints}", [Math.Log10(s.TrainPoints), Math.Log10(s.TrainPoints)],
                [r.Points.Min(p => Math.Log10(p.TestMse)), r.Points.Max(p => Math.Log10(p.TestMse))]),
        ]), "double descent");
        report.Table(["k", "train MSE", "test MSE"],
            r.Points.Select(p => (IReadOnlyList<string>)[p.Features.ToString(System.Globalization.CultureInfo.InvariantCulture), Report.Num(p.TrainMse), Report.Num(p.TestMse)]),
            $"{prefix}.csv");
        report.Setting($"{prefix}.train_points", s.TrainPoints);
        report.Setting($"{prefix}.dimension", s.Dimension);
        report.Setting($"{prefix}.noise", s.Noise);
        report.Setting($"{prefix}.features", string.Join(",", s.Features));
        report.Setting($"{prefix}.seeds", s.Seeds);
        report.Setting($"{prefix}.seed", s.Seed);
    }
}
