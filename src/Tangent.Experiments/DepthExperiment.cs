using Tangent.Dynamics;
using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Experiments;

/// <summary>Settings of <see cref="DepthExperiment"/>.</summary>
public sealed record DepthSettings
{
    /// <summary>Hidden-layer counts L.</summary>
    public int[] Depths { get; init; } = [1, 2, 4, 8, 16, 32];

    /// <summary>Training points.</summary>
    public int TrainPoints { get; init; } = 40;

    /// <summary>Test points.</summary>
    public int TestPoints { get; init; } = 200;

    /// <summary>Input dimension.</summary>
    public int Dimension { get; init; } = 4;

    /// <summary>Random seed.</summary>
    public int Seed { get; init; } = 2;
}

/// <summary>
/// Criticality and generalization (Roberts &amp; Yaida §10.4; Schoenholz et al. 2017): the bias and variance
/// of the generalization error (eq. 10.52, <see cref="GeneralizationError.Evaluate"/>) of fully trained
/// infinite NTK ensembles of depth L (L hidden layers), at the critical (σw, σb) and off it, for ReLU
/// and erf. At criticality the error stays usable deep; off it the kernel degenerates with depth
/// (ordered: every input looks alike; chaotic: every input looks unrelated) and the error grows.
/// Inputs x ~ N(0, I_d) projected to the unit sphere, target y = sin(2x₁) + x₂.
/// </summary>
public static class DepthExperiment
{
    /// <summary>One (activation, σw, σb) setting.</summary>
    /// <param name="Label">Description.</param>
    /// <param name="Activation">The activation's spec.</param>
    /// <param name="WeightStd">σw.</param>
    /// <param name="BiasStd">σb.</param>
    /// <param name="Bias">Bias term per test entry, by depth (NaN when the kernel was numerically singular).</param>
    /// <param name="Variance">Variance term per test entry, by depth.</param>
    public sealed record Line(string Label, string Activation, double WeightStd, double BiasStd, double[] Bias, double[] Variance);

    /// <summary>The results.</summary>
    /// <param name="Depths">Depths.</param>
    /// <param name="Lines">One per setting.</param>
    public sealed record Result(int[] Depths, IReadOnlyList<Line> Lines);

    /// <summary>The settings compared: critical and off-critical for ReLU and erf.</summary>
    public static IReadOnlyList<(string Label, Activation Act, double W, double B)> Cases()
    {
        var erf = new Erf();
        double erfCritical = Criticality.CriticalWeightStd(erf, 0) ?? 1.0;
        return
        [
            ("relu critical σw=√2", ABRelu.Relu(), Math.Sqrt(2), 0),
            ("relu ordered σw=1.1", ABRelu.Relu(), 1.1, 0.3),
            ("relu chaotic σw=1.8", ABRelu.Relu(), 1.8, 0),
            ($"erf critical σw={erfCritical:F3}", erf, erfCritical, 0),
            ("erf ordered σw=0.8", erf, 0.8, 0.3),
            ("erf chaotic σw=3", erf, 3.0, 0),
        ];
    }

    /// <summary>Runs the experiment.</summary>
    public static Result Run(DepthSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Dimension < 2) throw new ArgumentOutOfRangeException(nameof(settings), $"The target uses 2 coordinates: Dimension must be ≥ 2, got {settings.Dimension}.");
        var rng = new Random(settings.Seed);
        Matrix Sphere(int n) => Tangent.Data.Preprocessing.ProjectToSphere(Matrix.Build(n, settings.Dimension, (_, _) => KernelsExperiment.Normal(rng)), Math.Sqrt(settings.Dimension));
        var x = Sphere(settings.TrainPoints);
        var xt = Sphere(settings.TestPoints);
        double F(ReadOnlySpan<double> v) => Math.Sin(2 * v[0]) + v[1];
        var y = Matrix.Build(x.Rows, 1, (i, _) => F(x.Row(i)));
        var yt = Matrix.Build(xt.Rows, 1, (i, _) => F(xt.Row(i)));
        var lines = new List<Line>();
        foreach (var (label, act, w, b) in Cases())
        {
            var bias = new double[settings.Depths.Length];
            var variance = new double[settings.Depths.Length];
            for (int k = 0; k < settings.Depths.Length; k++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var arch = new Architecture(new Repeat(settings.Depths[k], new Serial([new Dense(w, b), act])), new Dense(w, b));
                try
                {
                    var train = arch.ComputeKernels(x);
                    var cross = arch.ComputeKernels(xt, x);
                    var diag = Enumerable.Range(0, xt.Rows).Select(i => arch.Kernel(xt.Row(i), xt.Row(i)).Nngp).ToArray();
                    var ens = InfiniteEnsemble.Ntk(train.Ntk, train.Nngp, y, new DynamicsOptions { Ridge = Ridge.Relative(1e-10) });
                    var p = ens.Predict(double.PositiveInfinity, new TestKernels { NtkTestTrain = cross.Ntk, NngpTestTrain = cross.Nngp, NngpTestTestDiagonal = diag });
                    var g = GeneralizationError.Evaluate(p, yt);
                    bias[k] = g.BiasPerEntry;
                    variance[k] = g.VariancePerEntry;
                }
                catch (Exception e) when (e is NotPositiveDefiniteException or ArgumentException)
                {
                    bias[k] = variance[k] = double.NaN;
                }
            }
            lines.Add(new Line(label, act.ToString(), w, b, bias, variance));
        }
        return new Result(settings.Depths, lines);
    }

    /// <summary>Adds the experiment's section to a report.</summary>
    public static void AddTo(Report report, Result r, DepthSettings s, string prefix = "depth")
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(s);
        report.Paragraph($"Generalization error (Roberts & Yaida eq. 10.52: bias ½Σ(μ − y)², variance ½Σ diag Σ, both per test entry) of fully trained infinite " +
                         $"NTK ensembles against depth L (L hidden layers `dense(σw, σb) φ`, then a dense readout). {s.TrainPoints} training and {s.TestPoints} test " +
                         $"points on the sphere of radius √d in d = {s.Dimension}, y = sin(2x₁) + x₂. What to see: at criticality (χ⊥ = 1) the error stays " +
                         "nearly flat with depth; off criticality it grows as the kernel degenerates. NaN: the kernel became numerically singular.");
        var ls = r.Depths.Select(d => Math.Log2(d)).ToArray();
        foreach (string kind in new[] { "relu", "erf" })
        {
            var sel = r.Lines.Where(l => l.Label.StartsWith(kind, StringComparison.Ordinal)).ToList();
            report.Image($"{prefix}-{kind}.png", Charts.Lines($"{kind}: generalization error against depth", "log2(L)", "log10(error per entry)",
                sel.SelectMany(l => new[]
                {
                    new Series(l.Label + " bias", ls, l.Bias.Select(Math.Log10).ToArray()),
                    new Series(l.Label + " variance", ls, l.Variance.Select(Math.Log10).ToArray(), Points: true),
                })), $"{kind} bias and variance against depth");
        }
        report.Table(["setting", "L", "bias", "variance", "total"],
            r.Lines.SelectMany(l => r.Depths.Select((d, i) => (IReadOnlyList<string>)[l.Label, d.ToString(System.Globalization.CultureInfo.InvariantCulture), Report.Num(l.Bias[i]), Report.Num(l.Variance[i]), Report.Num(l.Bias[i] + l.Variance[i])])),
            $"{prefix}.csv");
        report.Setting($"{prefix}.depths", string.Join(",", s.Depths));
        report.Setting($"{prefix}.train_points", s.TrainPoints);
        report.Setting($"{prefix}.seed", s.Seed);
    }
}
