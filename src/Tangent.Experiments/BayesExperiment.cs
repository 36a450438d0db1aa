using System.Globalization;
using Tangent.Dynamics;
using Tangent.Engine;
using Tangent.Layers;
using Tangent.Networks;
using Tangent.Numerics;

namespace Tangent.Experiments;

/// <summary>Settings of <see cref="BayesExperiment"/>.</summary>
public sealed record BayesSettings
{
    /// <summary>The hidden layers (the features); the network is these followed by the readout dense layer.</summary>
    public string Hidden { get; init; } = "dense(w=1.5,b=0.1) relu";

    /// <summary>σw of the readout (the 'ntk' parameterization: f = (σw/√width)·v·φ + σb·b).</summary>
    public double ReadoutWeightStd { get; init; } = 1.5;

    /// <summary>σb of the readout.</summary>
    public double ReadoutBiasStd { get; init; } = 0.1;

    /// <summary>Training points on the unit circle (the task of <see cref="WidthExperiment"/>).</summary>
    public int TrainPoints { get; init; } = 6;

    /// <summary>Test angles, equally spaced.</summary>
    public int TestPoints { get; init; } = 20;

    /// <summary>Hidden widths.</summary>
    public int[] Widths { get; init; } = [64, 256, 1024];

    /// <summary>Ensemble sizes M at which the ensemble statistics are compared (the first M networks of the largest).</summary>
    public int[] Networks { get; init; } = [32, 128, 512];

    /// <summary>The observation-noise variance σ² of the Gaussian process, and the ridge of the last-layer training.</summary>
    public double Noise { get; init; } = 0.05;

    /// <summary>Full-batch gradient-descent steps of the networks whose layers are all trained.</summary>
    public int Steps { get; init; } = 1000;

    /// <summary>Their learning rate as a fraction of the infinite-width NTK's 2N/λ_max.</summary>
    public double LearningRateFraction { get; init; } = 0.5;

    /// <summary>Random seed (training angles, network draws, noise draws).</summary>
    public int Seed { get; init; } = 1;

    /// <summary>The whole network's architecture: <see cref="Hidden"/> followed by the readout.</summary>
    public string Architecture => $"{Hidden} dense(w={ReadoutWeightStd.ToString(CultureInfo.InvariantCulture)},b={ReadoutBiasStd.ToString(CultureInfo.InvariantCulture)})";
}

/// <summary>
/// Bayesian inference equals last-layer training (Roberts &amp; Yaida §10.2.4; Lee et al. 2019 §2.3.1;
/// Matthews et al. 2017, "sample-then-optimize"). With the features φ of the hidden layers fixed, the readout
/// f = ψ(x)·θ, ψ = (σw·φ/√width, σb), θ ~ N(0, I) at initialisation, is Bayesian linear regression with the prior
/// kernel K̂ = ΨΨᵀ, which tends to the NNGP K as the width grows. Each network of ensemble (a) keeps its
/// initial readout θ₀ (a draw from the prior) and trains the readout alone by gradient descent to convergence on
/// ½‖Ψθ − (y − ε)‖² + ½σ²‖θ − θ₀‖² with ε ~ N(0, σ²I) drawn per network: the limit is
/// f* = f₀* + K̂*ₓ(K̂ + σ²I)⁻¹(y − ε − f₀), an exact sample of the posterior with kernel K̂ and noise σ², so the
/// ensemble's mean and covariance tend to the NNGP posterior's, K*ₓ(K + σ²I)⁻¹y and K** − K*ₓ(K + σ²I)⁻¹Kₓ*.
/// The same readout trained from zero gives K̂*ₓ(K̂ + σ²I)⁻¹y: the posterior mean in the limit, but a
/// covariance that vanishes with the width (only the features are random). Ensemble (b) trains every layer from
/// the usual initialisation (plain gradient descent on the MSE); its limit is the NTK ensemble of
/// <see cref="InfiniteEnsemble"/> (Lee et al. 2019, eqs. 14-16), mean Θ*ₓΘ⁻¹(I − e^{−ηtΘ/N})Y and a covariance that
/// is not the NNGP posterior's.
/// </summary>
public static class BayesExperiment
{
    /// <summary>Errors of one ensemble size at one width. Mean errors are ‖m − m_ref‖/‖m_ref‖, covariance errors
    /// ‖C − C_ref‖_F/‖C_ref‖_F, over the test inputs.</summary>
    /// <param name="Width">Hidden width.</param>
    /// <param name="Networks">Ensemble size M.</param>
    /// <param name="ReadoutMean">(a) readout from its prior draw: mean against the NNGP posterior's.</param>
    /// <param name="ReadoutCovariance">(a): covariance against the NNGP posterior's.</param>
    /// <param name="ZeroMean">The readout from zero: mean against the NNGP posterior's.</param>
    /// <param name="ZeroCovariance">The readout from zero: ‖C‖_F/‖C_NNGP posterior‖_F (its own size).</param>
    /// <param name="AllMeanVsNtk">(b) all layers: mean against the NTK ensemble's.</param>
    /// <param name="AllCovarianceVsNtk">(b): covariance against the NTK ensemble's.</param>
    /// <param name="AllMeanVsNngp">(b): mean against the NNGP posterior's.</param>
    /// <param name="AllCovarianceVsNngp">(b): covariance against the NNGP posterior's.</param>
    public sealed record Row(int Width, int Networks, double ReadoutMean, double ReadoutCovariance, double ZeroMean, double ZeroCovariance,
        double AllMeanVsNtk, double AllCovarianceVsNtk, double AllMeanVsNngp, double AllCovarianceVsNngp);

    /// <summary>Mean and covariance on the test inputs.</summary>
    /// <param name="Mean">Mean, one per test input.</param>
    /// <param name="Covariance">Covariance, test × test.</param>
    public sealed record Moments(double[] Mean, Matrix Covariance);

    /// <summary>The results.</summary>
    /// <param name="TrainS">Training s = θ/π.</param>
    /// <param name="TrainY">Training targets.</param>
    /// <param name="TestS">Test s.</param>
    /// <param name="NngpPosterior">The NNGP posterior (noise σ²).</param>
    /// <param name="NtkEnsemble">The NTK ensemble at the training time of (b).</param>
    /// <param name="Readout">Ensemble (a) at the largest width and M.</param>
    /// <param name="AllLayers">Ensemble (b) at the largest width and M.</param>
    /// <param name="LearningRate">η of (b).</param>
    /// <param name="Rows">One row per width and ensemble size.</param>
    public sealed record Result(double[] TrainS, double[] TrainY, double[] TestS, Moments NngpPosterior, Moments NtkEnsemble,
        Moments Readout, Moments AllLayers, double LearningRate, IReadOnlyList<Row> Rows);

    /// <summary>
    /// The limit of gradient descent on the readout θ alone from θ₀, on ½‖Ψθ − (y − ε)‖² + ½σ²‖θ − θ₀‖² (a
    /// strictly convex quadratic, so gradient descent below 2/λ_max converges to its minimiser): θ* = θ₀ + Ψᵀα with
    /// (ΨΨᵀ + σ²I)α = y − ε − Ψθ₀; returns θ*.
    /// </summary>
    /// <param name="psi">N×P readout features Ψ.</param>
    /// <param name="targets">y − ε, length N.</param>
    /// <param name="theta0">θ₀, length P (zeros for the readout trained from zero).</param>
    /// <param name="noise">σ² &gt; 0.</param>
    public static double[] ReadoutLimit(Matrix psi, double[] targets, double[] theta0, double noise)
    {
        ArgumentNullException.ThrowIfNull(psi);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(theta0);
        if (!(noise > 0)) throw new ArgumentOutOfRangeException(nameof(noise), $"The noise variance must be > 0, got {noise}.");
        int n = psi.Rows, p = psi.Cols;
        var f0 = LinearAlgebra.Multiply(psi, new Matrix(p, 1, theta0));
        var a = LinearAlgebra.Gram(psi);
        for (int i = 0; i < n; i++) a[i, i] += noise;
        var rhs = new Matrix(n, 1, targets.Select((t, i) => t - f0.Data[i]).ToArray());
        var alpha = LinearAlgebra.Cholesky(a).Solve(rhs);
        var step = LinearAlgebra.Multiply(psi, alpha, Op.Transpose);
        return theta0.Select((t, k) => t + step.Data[k]).ToArray();
    }

    /// <summary>The readout features ψ(x) = (σw·φ(x)/√width, σb) of inputs X.</summary>
    private static Matrix Features(Network hidden, Matrix x, double sw, double sb)
    {
        var phi = hidden.Predict(x);
        int w = phi.Cols;
        double s = sw / Math.Sqrt(w);
        return Matrix.Build(x.Rows, w + 1, (i, j) => j < w ? s * phi[i, j] : sb);
    }

    /// <summary>Runs the experiment.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range (the message names it).</exception>
    public static Result Run(BayesSettings settings, IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.TrainPoints < 2 || settings.TestPoints < 2)
            throw new ArgumentOutOfRangeException(nameof(settings), $"At least 2 training and 2 test points are needed, got {settings.TrainPoints} and {settings.TestPoints}.");
        if (settings.Widths.Length == 0 || settings.Widths.Any(w => w < 1)) throw new ArgumentOutOfRangeException(nameof(settings), "Widths must be ≥ 1 (e.g. 64,256,1024).");
        if (settings.Networks.Length == 0 || settings.Networks.Any(m => m < 2)) throw new ArgumentOutOfRangeException(nameof(settings), "Ensemble sizes must be ≥ 2 (e.g. 32,128,512).");
        if (!(settings.Noise > 0)) throw new ArgumentOutOfRangeException(nameof(settings), $"The noise variance must be > 0 (e.g. 0.01), got {settings.Noise}.");
        if (settings.Steps < 1) throw new ArgumentOutOfRangeException(nameof(settings), $"Steps must be ≥ 1, got {settings.Steps}.");
        var full = Layers.Architecture.Parse(settings.Architecture);
        var hiddenArch = Layers.Architecture.Parse(settings.Hidden);
        var rng = new Random(settings.Seed);
        int n = settings.TrainPoints, m = settings.TestPoints, maxM = settings.Networks.Max();
        var s = Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 2 - 1).Order().ToArray();
        var ts = Enumerable.Range(0, m).Select(i => -1 + 2.0 * i / m).ToArray();
        var x = WidthExperiment.Circle(s);
        var xt = WidthExperiment.Circle(ts);
        var yv = s.Select(WidthExperiment.Target).ToArray();
        var y = new Matrix(n, 1, yv);

        var train = full.ComputeKernels(x);
        var cross = full.ComputeKernels(xt, x);
        var testTest = full.ComputeKernels(xt, null, KernelOutputs.Nngp).Nngp!;
        var gp = new GaussianProcessInference(train.Nngp!, y, Ridge.Absolute(settings.Noise), kernelName: "NNGP").Predict(cross.Nngp!, testTest, null, CovarianceMode.Full);
        var nngp = new Moments(gp.Mean.Data, gp.Covariance!);
        double eta = settings.LearningRateFraction * 2.0 * n / LinearAlgebra.Eigen(train.Ntk!).Values.Max();
        var ens = InfiniteEnsemble.Ntk(train.Ntk!, train.Nngp, y, new DynamicsOptions { LearningRate = eta })
            .Predict(settings.Steps, new TestKernels { NtkTestTrain = cross.Ntk, NngpTestTrain = cross.Nngp, NngpTestTest = testTest }, CovarianceMode.Full);
        var ntk = new Moments(ens.Mean.Data, ens.Covariance!);

        var rows = new List<Row>();
        Moments? lastReadout = null, lastAll = null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long total = settings.Widths.Sum(w => (long)w), done = 0;
        foreach (int width in settings.Widths)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var readout = new double[maxM][];
            var zero = new double[maxM][];
            var all = new double[maxM][];
            Parallel.For(0, maxM, new ParallelOptions { CancellationToken = cancellationToken }, k =>
            {
                int seed = settings.Seed * 1_000_003 + width * 7919 + k;
                // (a) and from zero: the hidden layers of one draw, the readout's prior draw θ₀ and the noise ε.
                var hidden = Network.Create(hiddenArch, 2, width, outputs: width, seed: seed);
                var psi = Features(hidden, x, settings.ReadoutWeightStd, settings.ReadoutBiasStd);
                var psiT = Features(hidden, xt, settings.ReadoutWeightStd, settings.ReadoutBiasStd);
                var r = new Random(unchecked(seed * 48271 + 11));   // not the hidden layers' stream: θ₀ must be independent of W
                var theta0 = Enumerable.Range(0, width + 1).Select(_ => KernelsExperiment.Normal(r)).ToArray();
                double sd = Math.Sqrt(settings.Noise);
                var noisy = yv.Select(v => v - sd * KernelsExperiment.Normal(r)).ToArray();
                readout[k] = LinearAlgebra.Multiply(psiT, new Matrix(width + 1, 1, ReadoutLimit(psi, noisy, theta0, settings.Noise))).Data;
                zero[k] = LinearAlgebra.Multiply(psiT, new Matrix(width + 1, 1, ReadoutLimit(psi, yv, new double[width + 1], settings.Noise))).Data;
                // (b): every layer trained from the usual initialisation.
                var net = Network.Create(full, 2, width, 1, seed ^ 0x2545F49);   // its own draw, independent of (a)'s features
                Training.Train(net, x, y, new TrainingOptions { LearningRate = eta, Steps = settings.Steps });
                all[k] = net.Predict(xt).Data;
            });
            foreach (int count in settings.Networks.Order())
            {
                var a = MomentsOf(readout, count);
                var z = MomentsOf(zero, count);
                var b = MomentsOf(all, count);
                rows.Add(new Row(width, count, MeanError(a, nngp), CovError(a.Covariance, nngp.Covariance), MeanError(z, nngp),
                    Frobenius(z.Covariance) / Frobenius(nngp.Covariance), MeanError(b, ntk), CovError(b.Covariance, ntk.Covariance),
                    MeanError(b, nngp), CovError(b.Covariance, nngp.Covariance)));
                lastReadout = a; lastAll = b;
            }
            done += width;
            progress?.Report(new ProgressInfo(done, total, "bayes", clock.Elapsed));
        }
        return new Result(s, yv, ts, nngp, ntk, lastReadout!, lastAll!, eta, rows);
    }

    /// <summary>The sample mean and (unbiased) covariance of the first <paramref name="count"/> outputs.</summary>
    public static Moments MomentsOf(IReadOnlyList<double[]> outputs, int count)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        int m = outputs[0].Length;
        var mean = new double[m];
        for (int k = 0; k < count; k++) for (int i = 0; i < m; i++) mean[i] += outputs[k][i] / count;
        var cov = new Matrix(m, m);
        for (int k = 0; k < count; k++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < m; j++) cov[i, j] += (outputs[k][i] - mean[i]) * (outputs[k][j] - mean[j]) / (count - 1);
        return new Moments(mean, cov);
    }

    private static double MeanError(Moments a, Moments reference)
    {
        double num = 0, den = 0;
        for (int i = 0; i < a.Mean.Length; i++) { num += (a.Mean[i] - reference.Mean[i]) * (a.Mean[i] - reference.Mean[i]); den += reference.Mean[i] * reference.Mean[i]; }
        return Math.Sqrt(num / den);
    }

    private static double CovError(Matrix a, Matrix reference)
    {
        double num = 0;
        for (int k = 0; k < a.Data.Length; k++) num += (a.Data[k] - reference.Data[k]) * (a.Data[k] - reference.Data[k]);
        return Math.Sqrt(num) / Frobenius(reference);
    }

    private static double Frobenius(Matrix a) => Math.Sqrt(a.Data.Sum(v => v * v));

    /// <summary>Adds the experiment's section to a report.</summary>
    public static void AddTo(Report report, Result r, BayesSettings s, string prefix = "bayes")
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(s);
        int maxW = s.Widths.Max(), maxM = s.Networks.Max();
        report.Paragraph($"Task: {r.TrainS.Length} angles on the unit circle, g(s) = s + sin 10s (the task of `tangent experiment width`), {r.TestS.Length} equally spaced test angles. " +
                         $"Networks `{s.Architecture}` ('ntk' parameterization) of widths {string.Join(", ", s.Widths)}; ensembles of up to {maxM} networks per width. " +
                         $"(a) Last layer only: each network keeps its random hidden layers and its initial readout θ₀ (a draw from the prior N(0, I)) and trains the readout alone by gradient descent to convergence on " +
                         $"½‖Ψθ − (y − ε)‖² + ½σ²‖θ − θ₀‖², ε ~ N(0, σ²I) drawn per network, σ² = {Report.Num(s.Noise)} (sample-then-optimize, Matthews et al. 2017; the limit is computed in closed form, " +
                         "f* = f₀* + K̂*ₓ(K̂ + σ²I)⁻¹(y − ε − f₀) with K̂ = ΨΨᵀ the network's own NNGP). It is an exact posterior sample for the kernel K̂, and K̂ → K, " +
                         "so the ensemble's mean and covariance tend to the NNGP posterior's, K*ₓ(K + σ²I)⁻¹y and K** − K*ₓ(K + σ²I)⁻¹Kₓ* (Roberts & Yaida §10.2.4; Lee et al. 2019 §2.3.1). " +
                         "The same readout trained from zero gives K̂*ₓ(K̂ + σ²I)⁻¹y: the posterior mean in the limit, but its spread comes from the features alone and vanishes with the width. " +
                         $"(b) All layers: plain gradient descent on 1/(2N)·Σ(f − y)² for {s.Steps} steps at η = {Report.Num(r.LearningRate)} ({s.LearningRateFraction} × 2N/λ_max of the NTK) from the usual initialisation; " +
                         "its limit is the NTK ensemble at the same time (mean Θ*ₓΘ⁻¹(I − e^{−ηtΘ/N})Y, Lee et al. 2019 eqs. 14-16), whose covariance is not the NNGP posterior's. " +
                         "Errors: ‖m − m_ref‖/‖m_ref‖ for means, ‖C − C_ref‖_F/‖C_ref‖_F for covariances over the test inputs; with M networks the sampling error of a covariance is about √(2/M).");
        var atWidth = r.Rows.Where(x => x.Width == maxW).ToList();
        var atM = r.Rows.Where(x => x.Networks == maxM).ToList();
        report.Image($"{prefix}-ensemble-size.png", Charts.Lines($"Covariance error against the ensemble size (width {maxW})", "log2(M)", "log10 relative covariance error",
        [
            new Series("(a) last layer vs NNGP posterior", atWidth.Select(x => Math.Log2(x.Networks)).ToArray(), atWidth.Select(x => Math.Log10(x.ReadoutCovariance)).ToArray()),
            new Series("(b) all layers vs NTK ensemble", atWidth.Select(x => Math.Log2(x.Networks)).ToArray(), atWidth.Select(x => Math.Log10(x.AllCovarianceVsNtk)).ToArray()),
            new Series("(b) all layers vs NNGP posterior", atWidth.Select(x => Math.Log2(x.Networks)).ToArray(), atWidth.Select(x => Math.Log10(x.AllCovarianceVsNngp)).ToArray()),
            new Series("√(2/M)", atWidth.Select(x => Math.Log2(x.Networks)).ToArray(), atWidth.Select(x => Math.Log10(Math.Sqrt(2.0 / x.Networks))).ToArray()),
        ]), "covariance error against M");
        report.Image($"{prefix}-width.png", Charts.Lines($"Covariance error against the width (M = {maxM})", "log2(width)", "log10 relative covariance error",
        [
            new Series("(a) last layer vs NNGP posterior", atM.Select(x => Math.Log2(x.Width)).ToArray(), atM.Select(x => Math.Log10(x.ReadoutCovariance)).ToArray()),
            new Series("(b) all layers vs NTK ensemble", atM.Select(x => Math.Log2(x.Width)).ToArray(), atM.Select(x => Math.Log10(x.AllCovarianceVsNtk)).ToArray()),
            new Series("(b) all layers vs NNGP posterior", atM.Select(x => Math.Log2(x.Width)).ToArray(), atM.Select(x => Math.Log10(x.AllCovarianceVsNngp)).ToArray()),
            new Series("readout from zero: ‖C‖/‖C_NNGP‖", atM.Select(x => Math.Log2(x.Width)).ToArray(), atM.Select(x => Math.Log10(x.ZeroCovariance)).ToArray()),
        ]), "covariance error against width");
        static double[] Band(Moments mo, double k) => mo.Mean.Select((v, i) => v + k * Math.Sqrt(Math.Max(0, mo.Covariance[i, i]))).ToArray();
        report.Image($"{prefix}-fits.png", Charts.Lines($"Ensembles (width {maxW}, M = {maxM}) against their limits: mean and mean ± 2 sd", "s = θ/π", "f",
        [
            new Series("training points", r.TrainS, r.TrainY, Points: true),
            new Series("NNGP posterior", r.TestS, r.NngpPosterior.Mean),
            new Series("NNGP posterior ± 2 sd", r.TestS, Band(r.NngpPosterior, 2)),
            new Series("(a) last layer", r.TestS, r.Readout.Mean, Points: true),
            new Series("(a) ± 2 sd", r.TestS, Band(r.Readout, 2), Points: true),
            new Series("NTK ensemble", r.TestS, r.NtkEnsemble.Mean),
            new Series("NTK ensemble ± 2 sd", r.TestS, Band(r.NtkEnsemble, 2)),
            new Series("(b) all layers", r.TestS, r.AllLayers.Mean, Points: true),
            new Series("(b) ± 2 sd", r.TestS, Band(r.AllLayers, 2), Points: true),
        ], (-4, 4)), "ensembles against the NNGP posterior and the NTK ensemble (upper band)");
        var inv = CultureInfo.InvariantCulture;
        report.Table(["width", "M", "(a) mean vs NNGP", "(a) cov vs NNGP", "zero-init mean vs NNGP", "zero-init ‖C‖/‖C_NNGP‖", "(b) mean vs NTK", "(b) cov vs NTK", "(b) mean vs NNGP", "(b) cov vs NNGP"],
            r.Rows.Select(x => (IReadOnlyList<string>)[x.Width.ToString(inv), x.Networks.ToString(inv), Report.Num(x.ReadoutMean), Report.Num(x.ReadoutCovariance), Report.Num(x.ZeroMean),
                Report.Num(x.ZeroCovariance), Report.Num(x.AllMeanVsNtk), Report.Num(x.AllCovarianceVsNtk), Report.Num(x.AllMeanVsNngp), Report.Num(x.AllCovarianceVsNngp)]),
            $"{prefix}-results.csv");
        report.Setting($"{prefix}.architecture", s.Architecture);
        report.Setting($"{prefix}.train_points", s.TrainPoints);
        report.Setting($"{prefix}.test_points", s.TestPoints);
        report.Setting($"{prefix}.widths", string.Join(",", s.Widths));
        report.Setting($"{prefix}.networks", string.Join(",", s.Networks));
        report.Setting($"{prefix}.noise", s.Noise);
        report.Setting($"{prefix}.steps", s.Steps);
        report.Setting($"{prefix}.learning_rate", r.LearningRate);
        report.Setting($"{prefix}.seed", s.Seed);
    }
}
