using Tangent.Dynamics;
using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Experiments;

/// <summary>Settings of <see cref="PolationExperiment"/>.</summary>
public sealed record PolationSettings
{
    /// <summary>The two training inputs (2-D).</summary>
    public double[][] Inputs { get; init; } = [[1.0, 0.2], [-0.4, 0.9]];

    /// <summary>Their targets.</summary>
    public double[] Targets { get; init; } = [1.0, -0.5];

    /// <summary>Architectures compared (name, spec).</summary>
    public (string Name, string Spec)[] Architectures { get; init; } =
    [
        ("linear", "dense(w=1,b=0.3) dense(w=1,b=0.3)"),
        ("relu", "dense(w=1.4142,b=0.3) relu dense(w=1.4142,b=0.3)"),
        ("erf", "dense(w=1.5,b=0.3) erf dense(w=1.5,b=0.3)"),
    ];

    /// <summary>Range of the line parameter α (x(α) = (1 − α)·x₁ + α·x₂).</summary>
    public (double Min, double Max) Range { get; init; } = (-1.5, 2.5);
}

/// <summary>
/// Interpolation and extrapolation of fully trained infinite ensembles (Roberts &amp; Yaida §10.3.2): the
/// mean and standard deviation of the NTK ensemble at t = ∞ (<see cref="InfiniteEnsemble"/>) along the
/// line x(α) = (1 − α)·x₁ + α·x₂ through two training points, for a linear, a ReLU and an erf network.
/// The linear network extrapolates along a straight line; ReLU nearly so (piecewise-linear kernel);
/// erf saturates. Between the points the variance is small; it grows away from them.
/// </summary>
public static class PolationExperiment
{
    /// <summary>One architecture's curves.</summary>
    /// <param name="Name">Name.</param>
    /// <param name="Spec">Spec.</param>
    /// <param name="Mean">Mean along the line.</param>
    /// <param name="Std">Standard deviation along the line.</param>
    public sealed record Curve(string Name, string Spec, double[] Mean, double[] Std);

    /// <summary>The results.</summary>
    /// <param name="Alpha">Line parameters.</param>
    /// <param name="Curves">One per architecture.</param>
    public sealed record Result(double[] Alpha, IReadOnlyList<Curve> Curves);

    /// <summary>Runs the experiment.</summary>
    public static Result Run(PolationSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Inputs.Length != 2 || settings.Targets.Length != 2 || settings.Inputs[0].Length != settings.Inputs[1].Length)
            throw new ArgumentException("Give exactly two training inputs of equal dimension and two targets.", nameof(settings));
        var x = Matrix.FromRows(settings.Inputs);
        var y = Matrix.Column(settings.Targets);
        var alpha = Enumerable.Range(0, 161).Select(i => settings.Range.Min + (settings.Range.Max - settings.Range.Min) * i / 160).ToArray();
        var line = Matrix.Build(alpha.Length, x.Cols, (i, j) => (1 - alpha[i]) * x[0, j] + alpha[i] * x[1, j]);
        var curves = new List<Curve>();
        foreach (var (name, spec) in settings.Architectures)
        {
            var arch = Architecture.Parse(spec);
            var train = arch.ComputeKernels(x);
            var cross = arch.ComputeKernels(line, x);
            var diag = Enumerable.Range(0, line.Rows).Select(i => arch.Kernel(line.Row(i), line.Row(i)).Nngp).ToArray();
            var ens = InfiniteEnsemble.Ntk(train.Ntk, train.Nngp, y);
            var p = ens.Predict(double.PositiveInfinity, new TestKernels { NtkTestTrain = cross.Ntk, NngpTestTrain = cross.Nngp, NngpTestTestDiagonal = diag });
            curves.Add(new Curve(name, spec, p.Mean.Data, p.Variance!.Select(v => Math.Sqrt(Math.Max(v, 0))).ToArray()));
        }
        return new Result(alpha, curves);
    }

    /// <summary>Adds the experiment's section to a report.</summary>
    public static void AddTo(Report report, Result r, PolationSettings s, string prefix = "polation")
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(s);
        report.Paragraph("Fully trained infinite ensembles (NTK dynamics at t = ∞, Roberts & Yaida §10.3.2) along the line x(α) = (1 − α)·x₁ + α·x₂ " +
                         $"through the training points x₁ = ({string.Join(", ", s.Inputs[0])}) → {s.Targets[0]} at α = 0 and x₂ = ({string.Join(", ", s.Inputs[1])}) → {s.Targets[1]} at α = 1. " +
                         "Interpolation is 0 < α < 1, extrapolation outside. What to see: every ensemble passes through both points with zero variance there; " +
                         "the linear network extrapolates along a straight line, ReLU almost linearly, erf bends and saturates; the spread grows away from the data.");
        foreach (var c in r.Curves)
        {
            report.Image($"{prefix}-{c.Name}.png", Charts.Lines($"{c.Name}: ensemble mean ± std along the line", "α", "f",
            [
                new Series("mean", r.Alpha, c.Mean),
                new Series("mean + std", r.Alpha, c.Mean.Select((m, i) => m + c.Std[i]).ToArray()),
                new Series("mean − std", r.Alpha, c.Mean.Select((m, i) => m - c.Std[i]).ToArray()),
                new Series("training points", [0, 1], s.Targets, Points: true),
            ]), $"{c.Name} interpolation and extrapolation");
            report.Setting($"{prefix}.{c.Name}", c.Spec);
        }
        report.Csv($"{prefix}.csv", ["alpha", .. r.Curves.SelectMany(c => new[] { c.Name + "_mean", c.Name + "_std" })],
            r.Alpha.Select((a, i) => (IReadOnlyList<string>)[Report.Num(a), .. r.Curves.SelectMany(c => new[] { c.Mean[i].ToString("R", System.Globalization.CultureInfo.InvariantCulture), c.Std[i].ToString("R", System.Globalization.CultureInfo.InvariantCulture) })]));
    }
}
