using System.Globalization;
using Tangent.Data;
using Tangent.Engine;
using Tangent.Layers;
using Tangent.Networks;
using Tangent.Numerics;

namespace Tangent.Experiments;

/// <summary>Settings of <see cref="LazyExperiment"/>.</summary>
public sealed record LazySettings
{
    /// <summary>The dense network, trained on the unit-circle task of <see cref="WidthExperiment"/>.</summary>
    public string DenseArchitecture { get; init; } = "dense(w=1.5,b=0.1) relu dense(w=1.5,b=0.1) relu dense(w=1.5,b=0.1)";

    /// <summary>Hidden widths of the dense network (empty: no dense runs).</summary>
    public int[] DenseWidths { get; init; } = [32, 128, 512, 2048];

    /// <summary>The convolutional network, trained on the embedded 8×8 digits (conv layers without a channel count get the width).</summary>
    public string ConvArchitecture { get; init; } = "conv(size=3,w=1.41,b=0.1) relu flatten dense(w=1)";

    /// <summary>Channel counts of the convolutional network (empty: no conv runs).</summary>
    public int[] ConvWidths { get; init; } = [16, 32, 64, 128, 256];

    /// <summary>Training points on the circle.</summary>
    public int CirclePoints { get; init; } = 30;

    /// <summary>Training images.</summary>
    public int Images { get; init; } = 48;

    /// <summary>Probe inputs on which the empirical NTK is compared before and after training (circle angles or further images).</summary>
    public int ProbePoints { get; init; } = 16;

    /// <summary>Full-batch gradient-descent steps (the same training time for every width and both parameterizations).</summary>
    public int Steps { get; init; } = 300;

    /// <summary>Learning rate as a fraction of the infinite-width NTK's 2N/λ_max ('ntk' parameterization; the
    /// mean-field networks use it multiplied by the width).</summary>
    public double LearningRateFraction { get; init; } = 0.5;

    /// <summary>Networks per width and parameterization (different initialisations); the changes are averaged.</summary>
    public int Repeats { get; init; } = 1;

    /// <summary>Random seed (data and network draws).</summary>
    public int Seed { get; init; } = 1;
}

/// <summary>
/// Lazy training (Roberts &amp; Yaida §10.1; Jacot et al. 2018; Lee et al. 2019, Theorem 2.1): networks in the 'ntk'
/// parameterization trained by full-batch gradient descent on the MSE loss (docs/MATH.md §4) barely move their
/// weights, ‖θ_T − θ₀‖ = O(1) against ‖θ₀‖ = O(√P), and their empirical NTK on a fixed probe set changes by
/// ‖Θ_T − Θ₀‖_F/‖Θ₀‖_F = O(1/√width): no representation learning at infinite width. Beside them the same networks
/// with the mean-field readout (Mei, Montanari &amp; Nguyen 2018; the μP of Yang &amp; Hu 2021 in its 'ntk'-parameterization
/// form): the output multiplied by an extra 1/√width (<see cref="Network.OutputScale"/>, so the readout is 1/width
/// instead of 1/√width) and the learning rate multiplied by the width, so that the function moves at the same
/// rate at initialisation; then the hidden weights move by O(1) and the kernel keeps changing as the width grows.
/// A dense network runs on the unit-circle task of <see cref="WidthExperiment"/>, a CNN on the embedded 8×8 digits.
/// </summary>
public static class LazyExperiment
{
    /// <summary>The 'ntk' parameterization's name in rows and reports.</summary>
    public const string Ntk = "ntk";

    /// <summary>The mean-field (μP-style) readout's name in rows and reports.</summary>
    public const string MeanField = "mean-field";

    /// <summary>One trained network size.</summary>
    /// <param name="Task">"dense" (unit circle) or "conv" (digits).</param>
    /// <param name="Parameterization"><see cref="Ntk"/> or <see cref="MeanField"/>.</param>
    /// <param name="Width">Hidden width or channel count.</param>
    /// <param name="Parameters">Parameter count P.</param>
    /// <param name="LearningRate">η used.</param>
    /// <param name="WeightChange">‖θ_T − θ₀‖/‖θ₀‖ (mean over repeats).</param>
    /// <param name="KernelChange">‖Θ_T − Θ₀‖_F/‖Θ₀‖_F on the probe set (mean over repeats).</param>
    /// <param name="InitialLoss">Training loss at initialisation (mean over repeats).</param>
    /// <param name="FinalLoss">Training loss after training (mean over repeats).</param>
    public sealed record Row(string Task, string Parameterization, int Width, int Parameters, double LearningRate,
        double WeightChange, double KernelChange, double InitialLoss, double FinalLoss);

    /// <summary>A fitted power law change ∝ width^slope (least squares in log-log).</summary>
    /// <param name="Task">"dense" or "conv".</param>
    /// <param name="Parameterization"><see cref="Ntk"/> or <see cref="MeanField"/>.</param>
    /// <param name="WeightSlope">Slope of log ‖Δθ‖/‖θ₀‖ against log width.</param>
    /// <param name="KernelSlope">Slope of log ‖ΔΘ‖_F/‖Θ₀‖_F against log width.</param>
    public sealed record Slope(string Task, string Parameterization, double WeightSlope, double KernelSlope);

    /// <summary>The results.</summary>
    /// <param name="Rows">One row per task, parameterization and width.</param>
    /// <param name="Slopes">One fit per task and parameterization (with at least two widths).</param>
    public sealed record Result(IReadOnlyList<Row> Rows, IReadOnlyList<Slope> Slopes);

    /// <summary>Runs the experiment.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range (the message names it).</exception>
    public static Result Run(LazySettings settings, IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.DenseWidths.Length + settings.ConvWidths.Length == 0)
            throw new ArgumentOutOfRangeException(nameof(settings), "Give at least one dense width or conv channel count (e.g. DenseWidths = [16, 64, 256]).");
        if (settings.DenseWidths.Concat(settings.ConvWidths).Any(w => w < 1))
            throw new ArgumentOutOfRangeException(nameof(settings), "Widths and channel counts must be ≥ 1 (e.g. 16,64,256).");
        if (settings.Steps < 1) throw new ArgumentOutOfRangeException(nameof(settings), $"Steps must be ≥ 1, got {settings.Steps}.");
        if (settings.ProbePoints < 2) throw new ArgumentOutOfRangeException(nameof(settings), $"The probe set needs at least 2 points, got {settings.ProbePoints}.");
        if (!(settings.LearningRateFraction is > 0 and < 1))
            throw new ArgumentOutOfRangeException(nameof(settings), $"The learning-rate fraction must lie in (0, 1), got {settings.LearningRateFraction}.");
        var jobs = new List<(string Task, Architecture Arch, Matrix X, Matrix Y, Matrix Probe, int[] Widths)>();
        if (settings.DenseWidths.Length > 0)
        {
            if (settings.CirclePoints < 2) throw new ArgumentOutOfRangeException(nameof(settings), $"At least 2 circle points are needed, got {settings.CirclePoints}.");
            var rng = new Random(settings.Seed);
            var s = Enumerable.Range(0, settings.CirclePoints).Select(_ => rng.NextDouble() * 2 - 1).Order().ToArray();
            var probe = Enumerable.Range(0, settings.ProbePoints).Select(i => -1 + (i + 0.5) * 2 / settings.ProbePoints).ToArray();
            jobs.Add(("dense", Architecture.Parse(settings.DenseArchitecture), WidthExperiment.Circle(s),
                new Matrix(s.Length, 1, s.Select(WidthExperiment.Target).ToArray()), WidthExperiment.Circle(probe), settings.DenseWidths));
        }
        if (settings.ConvWidths.Length > 0)
        {
            var digits = EmbeddedData.Digits();
            int n = settings.Images;
            if (n < 2 || n + settings.ProbePoints > digits.Count)
                throw new ArgumentOutOfRangeException(nameof(settings), $"The digits set has {digits.Count} images: training ({n}, at least 2) plus probe ({settings.ProbePoints}) images must fit.");
            var order = Enumerable.Range(0, digits.Count).ToArray();
            new Random(settings.Seed).Shuffle(order);
            var arch = Architecture.Parse(settings.ConvArchitecture);
            if (!arch.HasImageLayers) throw new ArgumentOutOfRangeException(nameof(settings), $"The conv architecture '{settings.ConvArchitecture}' has no image layers (e.g. \"conv(size=3,w=1.41,b=0.1) relu flatten dense(w=1)\").");
            arch = arch.InputShape is null ? arch.WithInputShape(new ImageShape(8, 8, 1)) : arch;
            var x = Pixels(digits.X.SelectRows(order[..n]));
            var y = new Matrix(n, 1, order[..n].Select(i => digits.Labels[i] % 2 == 0 ? 1.0 : -1.0).ToArray());
            jobs.Add(("conv", arch, x, y, Pixels(digits.X.SelectRows(order[n..(n + settings.ProbePoints)])), settings.ConvWidths));
        }

        var rows = new List<Row>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long total = jobs.Sum(j => j.Widths.Length) * 2L, done = 0;
        foreach (var (task, arch, x, y, probe, widths) in jobs)
        {
            var ntk = arch.ComputeKernels(x, null, KernelOutputs.Ntk).Ntk!;
            double eta = settings.LearningRateFraction * 2.0 * x.Rows / LinearAlgebra.Eigen(ntk).Values.Max();
            foreach (string par in new[] { Ntk, MeanField })
                foreach (int width in widths)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    bool mf = par == MeanField;
                    double rate = mf ? eta * width : eta;
                    int reps = Math.Max(1, settings.Repeats);
                    double dw = 0, dk = 0, l0 = 0, lt = 0;
                    int parameters = 0;
                    for (int rep = 0; rep < reps; rep++)
                    {
                        var net = Network.Create(arch, x.Cols, width, 1, settings.Seed * 7919 + width * 31 + rep, mf ? 1 / Math.Sqrt(width) : 1);
                        parameters = net.ParameterCount;
                        var theta0 = net.GetParameters();
                        var k0 = net.Ntk(probe);
                        l0 += net.Loss(x, y);
                        lt += Training.Train(net, x, y, new TrainingOptions { LearningRate = rate, Steps = settings.Steps }, null, cancellationToken).FinalLoss;
                        dw += RelativeChange(theta0, net.GetParameters());
                        dk += RelativeChange(k0.Data, net.Ntk(probe).Data);
                    }
                    rows.Add(new Row(task, par, width, parameters, rate, dw / reps, dk / reps, l0 / reps, lt / reps));
                    progress?.Report(new ProgressInfo(++done, total, "lazy", clock.Elapsed));
                }
        }
        var slopes = rows.GroupBy(r => (r.Task, r.Parameterization)).Where(g => g.Count() >= 2)
            .Select(g => new Slope(g.Key.Task, g.Key.Parameterization,
                FitSlope(g.Select(r => (double)r.Width), g.Select(r => r.WeightChange)),
                FitSlope(g.Select(r => (double)r.Width), g.Select(r => r.KernelChange))))
            .ToList();
        return new Result(rows, slopes);
    }

    /// <summary>‖b − a‖/‖a‖.</summary>
    public static double RelativeChange(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        double num = 0, den = 0;
        for (int i = 0; i < a.Count; i++) { num += (b[i] - a[i]) * (b[i] - a[i]); den += a[i] * a[i]; }
        return Math.Sqrt(num / den);
    }

    /// <summary>The least-squares slope of log y against log x.</summary>
    public static double FitSlope(IEnumerable<double> x, IEnumerable<double> y)
    {
        var lx = x.Select(v => Math.Log(v)).ToArray();
        var ly = y.Select(v => Math.Log(v)).ToArray();
        double mx = lx.Average(), my = ly.Average(), sxy = 0, sxx = 0;
        for (int i = 0; i < lx.Length; i++) { sxy += (lx[i] - mx) * (ly[i] - my); sxx += (lx[i] - mx) * (lx[i] - mx); }
        return sxy / sxx;
    }

    private static Matrix Pixels(Matrix x)
    {
        foreach (ref double v in x.Data.AsSpan()) v /= 16;
        return x;
    }

    /// <summary>The slope fitted for a task and parameterization (NaN when fewer than two widths ran).</summary>
    public static Slope SlopeOf(Result result, string task, string parameterization)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Slopes.FirstOrDefault(s => s.Task == task && s.Parameterization == parameterization)
               ?? new Slope(task, parameterization, double.NaN, double.NaN);
    }

    /// <summary>The plot of the relative kernel change against width (also used by `tangent demo`).</summary>
    public static byte[] KernelChart(Result r) => Chart(r, "Relative change of the empirical NTK after training", "log10 ‖Θ_T − Θ₀‖_F / ‖Θ₀‖_F", row => row.KernelChange, s => s.KernelSlope);

    private static byte[] Chart(Result r, string title, string yLabel, Func<Row, double> value, Func<Slope, double> slope)
    {
        var series = new List<Series>();
        foreach (var g in r.Rows.GroupBy(row => (row.Task, row.Parameterization)))
        {
            var xs = g.Select(row => Math.Log10(row.Width)).ToArray();
            var ys = g.Select(row => Math.Log10(value(row))).ToArray();
            string fit = g.Count() >= 2 ? $", slope {slope(SlopeOf(r, g.Key.Task, g.Key.Parameterization)):0.00}" : "";
            series.Add(new Series($"{g.Key.Task}, {g.Key.Parameterization}{fit}", xs, ys));
        }
        // The −½ (Lee et al.'s bound) and −1 (Roberts & Yaida's 1/n) references through the first 'ntk' point of the first task.
        if (r.Rows.FirstOrDefault(row => row.Parameterization == Ntk) is { } first)
        {
            var widths = r.Rows.Where(row => row.Task == first.Task && row.Parameterization == Ntk).Select(row => (double)row.Width).ToArray();
            series.Add(new Series("slope −1/2 (1/√width)", widths.Select(Math.Log10).ToArray(),
                widths.Select(w => Math.Log10(value(first)) - 0.5 * Math.Log10(w / first.Width)).ToArray()));
            series.Add(new Series("slope −1 (1/width)", widths.Select(Math.Log10).ToArray(),
                widths.Select(w => Math.Log10(value(first)) - Math.Log10(w / first.Width)).ToArray()));
        }
        return Charts.Lines(title, "log10(width or channels)", yLabel, series);
    }

    /// <summary>Adds the experiment's section to a report.</summary>
    public static void AddTo(Report report, Result r, LazySettings s, string prefix = "lazy")
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(s);
        report.Paragraph("Networks of growing width are trained by full-batch gradient descent on 1/(2N)·Σ(f − y)² for " +
                         $"{s.Steps} steps; afterwards the relative change of all weights ‖θ_T − θ₀‖/‖θ₀‖ and of the empirical NTK on {s.ProbePoints} fixed probe inputs " +
                         "‖Θ_T − Θ₀‖_F/‖Θ₀‖_F is measured. " +
                         (s.DenseWidths.Length > 0 ? $"Dense: `{s.DenseArchitecture}` on the unit-circle task of `tangent experiment width` ({s.CirclePoints} points, g(s) = s + sin 10s), widths {string.Join(", ", s.DenseWidths)}. " : "") +
                         (s.ConvWidths.Length > 0 ? $"Conv: `{s.ConvArchitecture}` on {s.Images} images of {WidthExperiment.DigitsTask}, channels {string.Join(", ", s.ConvWidths)}. " : "") +
                         $"'ntk': the 'ntk' parameterization at η = {s.LearningRateFraction} × 2N/λ_max of the infinite-width NTK. " +
                         "'mean-field': the same networks with the output multiplied by 1/√width (the readout scaled 1/width instead of 1/√width; Mei, Montanari & Nguyen 2018; " +
                         "μP of Yang & Hu 2021 written in the 'ntk' parameterization) and η multiplied by the width, so that the function moves at the same rate at initialisation. " +
                         "What theory predicts: in the 'ntk' parameterization ‖θ_T − θ₀‖ stays O(1) while ‖θ₀‖ ~ √P, and the kernel moves by at most O(1/√width) (Lee et al. 2019, Theorem 2.1; Roberts & Yaida ch. 11 find O(1/width), so a slope between −½ and −1): " +
                         "lazy training, no representation learning in the limit; in the mean-field scaling the hidden weights move by O(1) and the kernel change does not vanish as the width grows. " +
                         "The weights' slope is −½ for P ∝ width (one hidden layer, the CNN) and −1 for P ∝ width² (two hidden layers).");
        report.Image($"{prefix}-kernel.png", KernelChart(r), "relative NTK change against width");
        report.Image($"{prefix}-weights.png", Chart(r, "Relative change of the weights after training", "log10 ‖θ_T − θ₀‖ / ‖θ₀‖", row => row.WeightChange, sl => sl.WeightSlope),
            "relative weight change against width");
        var inv = CultureInfo.InvariantCulture;
        report.Table(["task", "parameterization", "width", "P", "η", "‖Δθ‖/‖θ₀‖", "‖ΔΘ‖/‖Θ₀‖", "loss at init", "loss after"],
            r.Rows.Select(row => (IReadOnlyList<string>)[row.Task, row.Parameterization, row.Width.ToString(inv), row.Parameters.ToString(inv), Report.Num(row.LearningRate),
                Report.Num(row.WeightChange), Report.Num(row.KernelChange), Report.Num(row.InitialLoss), Report.Num(row.FinalLoss)]),
            $"{prefix}-results.csv");
        report.Table(["task", "parameterization", "slope of the weight change", "slope of the kernel change"],
            r.Slopes.Select(sl => (IReadOnlyList<string>)[sl.Task, sl.Parameterization, sl.WeightSlope.ToString("0.00", inv), sl.KernelSlope.ToString("0.00", inv)]),
            $"{prefix}-slopes.csv");
        report.Setting($"{prefix}.dense_architecture", s.DenseArchitecture);
        report.Setting($"{prefix}.dense_widths", string.Join(",", s.DenseWidths));
        report.Setting($"{prefix}.conv_architecture", s.ConvArchitecture);
        report.Setting($"{prefix}.conv_widths", string.Join(",", s.ConvWidths));
        report.Setting($"{prefix}.circle_points", s.CirclePoints);
        report.Setting($"{prefix}.images", s.Images);
        report.Setting($"{prefix}.probe_points", s.ProbePoints);
        report.Setting($"{prefix}.steps", s.Steps);
        report.Setting($"{prefix}.learning_rate_fraction", s.LearningRateFraction);
        report.Setting($"{prefix}.repeats", s.Repeats);
        report.Setting($"{prefix}.seed", s.Seed);
    }
}
