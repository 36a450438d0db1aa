using System.Globalization;
using Tangent.Engine;
using Tangent.Networks;
using Tangent.Numerics;

namespace Tangent.Experiments;

/// <summary>Settings of <see cref="AlgorithmsExperiment"/>.</summary>
public sealed record AlgorithmsSettings
{
    /// <summary>Training points on the unit circle (one per arc of length 2π/n, jittered within it).</summary>
    public int TrainPoints { get; init; } = 16;

    /// <summary>Test points: equally spaced angles on the circle.</summary>
    public int TestPoints { get; init; } = 100;

    /// <summary>The architecture (docs/LAYERS.md): a dense network on the 2-D circle inputs.</summary>
    public string Architecture { get; init; } = "dense(w=1.5,b=0.1) relu dense(w=1.5,b=0.1)";

    /// <summary>Steps of each algorithm in function space with the infinite-width NTK (cheap: n×n kernels).</summary>
    public int Steps { get; init; } = 100_000;

    /// <summary>Hidden widths of the finite networks.</summary>
    public int[] Widths { get; init; } = [32, 128, 512, 2048, 8192];

    /// <summary>Epochs (passes over the training set) of gradient descent, SGD and momentum for the finite networks:
    /// full-batch algorithms take this many steps, SGD this many times n/|B| minibatch steps (the same computation).</summary>
    public int NetworkSteps { get; init; } = 3000;

    /// <summary>Gauss–Newton steps for the finite networks (each one is a full Newton step of the linearized network).</summary>
    public int GaussNewtonSteps { get; init; } = 10;

    /// <summary>Networks per width (different initialisations); the spread is averaged over them.</summary>
    public int Repeats { get; init; } = 4;

    /// <summary>Minibatch size of SGD.</summary>
    public int BatchSize { get; init; } = 4;

    /// <summary>Heavy-ball momentum β.</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>Learning rate as a fraction of the stable bound (2N/λ_max for full batches, see <see cref="AlgorithmsExperiment"/> for SGD).</summary>
    public double LearningRateFraction { get; init; } = 0.5;

    /// <summary>SGD's decay time τ as a fraction of its steps: η_t = η₀/(1 + t/τ).</summary>
    public double DecayFraction { get; init; } = 0.25;

    /// <summary>Random seed (training angles, networks, minibatch order).</summary>
    public int Seed { get; init; } = 1;
}

/// <summary>
/// Algorithm independence at infinite width (Roberts &amp; Yaida §10.2.2; docs/MATH.md §4): with the MSE loss a
/// network in the NTK limit is a linear model in its parameters, so every optimiser that drives the training
/// residual to zero from the same initialisation ends at the same function, the kernel-regression
/// prediction Θ*Θ⁻¹y (for a centred network, f₀ = 0). Part one runs four algorithms in function space with
/// the infinite-width NTK Θ: gradient descent f ← f − ηΘ(f − y)/n (and its closed form
/// f_t = Θ*Θ⁻¹(I − (I − ηΘ/n)^t)y), one Newton step, SGD on minibatches B with a decaying learning rate
/// f ← f − η_tΘ_{:,B}(f_B − y_B)/|B|, η_t = η₀/(1 + t/τ), and heavy-ball momentum. Part two trains finite
/// networks of growing width with gradient descent, SGD, momentum and Gauss–Newton; their test predictions
/// differ by the kernel's motion during training, which vanishes like 1/√width, so the spread between the
/// algorithms should shrink at that rate.
/// </summary>
public static class AlgorithmsExperiment
{
    /// <summary>The target as a function of s = θ/π: g(s) = sin(πs) + cos(2πs)/2, two low frequencies on the circle. A smooth
    /// target has a small kernel norm yᵀΘ⁻¹y, so the parameters move little while fitting it and the networks stay near
    /// their linearization (with the width experiment's s + sin(10s), widths of a few thousand still move their kernel by tens of percent).</summary>
    public static double Target(double s) => Math.Sin(Math.PI * s) + 0.5 * Math.Cos(2 * Math.PI * s);

    /// <summary>The algorithms, in the order of the results.</summary>
    public static readonly IReadOnlyList<string> Algorithms = ["gradient descent", "Newton (one step)", "SGD (decaying η)", "momentum (heavy ball)"];

    /// <summary>The algorithms for the finite networks, in the order of <see cref="WidthRow"/>'s arrays: Newton's step is Gauss–Newton there.</summary>
    public static readonly IReadOnlyList<string> FiniteAlgorithms = ["gradient descent", "Gauss–Newton", "SGD (decaying η)", "momentum (heavy ball)"];

    /// <summary>One algorithm at infinite width.</summary>
    /// <param name="Name">The algorithm.</param>
    /// <param name="Steps">The steps at which the distance was recorded.</param>
    /// <param name="Distance">max over the test points of |f*_t − Θ*Θ⁻¹y| at those steps.</param>
    /// <param name="Prediction">The final test prediction.</param>
    /// <param name="TrainResidual">The final max |f(x_i) − y_i| over the training points.</param>
    public sealed record InfiniteRun(string Name, int[] Steps, double[] Distance, double[] Prediction, double TrainResidual);

    /// <summary>One width's finite networks.</summary>
    /// <param name="Width">Hidden width.</param>
    /// <param name="Spread">Max over pairs of algorithms of the RMS difference of their test predictions (mean over repeats).</param>
    /// <param name="TrainLoss">Each algorithm's final training loss 1/(2n)·Σ(f − y)² (mean over repeats), in <see cref="FiniteAlgorithms"/> order.</param>
    /// <param name="DistanceToLimit">Each algorithm's RMS distance to the infinite-width prediction Θ*Θ⁻¹y (mean over repeats).</param>
    /// <param name="Predictions">The first network's test predictions, one array per algorithm.</param>
    public sealed record WidthRow(int Width, double Spread, double[] TrainLoss, double[] DistanceToLimit, double[][] Predictions);

    /// <summary>The results.</summary>
    /// <param name="TrainS">Training s = θ/π.</param>
    /// <param name="TrainY">Training targets.</param>
    /// <param name="TestS">Test s.</param>
    /// <param name="Limit">Θ*Θ⁻¹y on the test points (by the eigendecomposition of Θ).</param>
    /// <param name="Infinite">The four algorithms at infinite width.</param>
    /// <param name="ClosedFormGap">max |gradient descent's iterate − its closed form| on the test points after the last step.</param>
    /// <param name="Condition">λ_max/λ_min of the NTK Θ on the training points.</param>
    /// <param name="LearningRate">Full-batch η (gradient descent, momentum).</param>
    /// <param name="SgdLearningRate">SGD's η₀.</param>
    /// <param name="Rows">The finite networks, one row per width.</param>
    public sealed record Result(double[] TrainS, double[] TrainY, double[] TestS, double[] Limit, IReadOnlyList<InfiniteRun> Infinite,
        double ClosedFormGap, double Condition, double LearningRate, double SgdLearningRate, IReadOnlyList<WidthRow> Rows);

    /// <summary>Runs the experiment.</summary>
    public static Result Run(AlgorithmsSettings settings, IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        int n = settings.TrainPoints, b = settings.BatchSize;
        if (n < 2) throw new ArgumentOutOfRangeException(nameof(settings), $"At least 2 training points are needed, got {n}.");
        if (settings.TestPoints < 1) throw new ArgumentOutOfRangeException(nameof(settings), $"At least 1 test point is needed, got {settings.TestPoints}.");
        if (b < 1 || b > n) throw new ArgumentOutOfRangeException(nameof(settings), $"The SGD batch size must be from 1 to the {n} training points, got {b}.");
        if (settings.Steps < 1 || settings.NetworkSteps < 1 || settings.GaussNewtonSteps < 1 || settings.Repeats < 1)
            throw new ArgumentOutOfRangeException(nameof(settings), "Steps, network steps, Gauss–Newton steps and repeats must each be ≥ 1.");
        if (settings.Widths.Length == 0 || settings.Widths.Any(w => w < 1)) throw new ArgumentOutOfRangeException(nameof(settings), "Widths must be ≥ 1 (e.g. 32,128,512).");
        if (!(settings.LearningRateFraction > 0 && settings.LearningRateFraction < 1)) throw new ArgumentOutOfRangeException(nameof(settings), $"The learning-rate fraction must be in (0, 1), got {settings.LearningRateFraction}.");
        if (!(settings.Momentum >= 0 && settings.Momentum < 1)) throw new ArgumentOutOfRangeException(nameof(settings), $"The momentum must be in [0, 1), got {settings.Momentum}.");
        if (!(settings.DecayFraction > 0)) throw new ArgumentOutOfRangeException(nameof(settings), $"The decay fraction must be > 0, got {settings.DecayFraction}.");

        var arch = Layers.Architecture.Parse(settings.Architecture);
        var rng = new Random(settings.Seed);
        // one angle per arc of length 2π/n, jittered within its middle half: no two points nearly coincide, so Θ stays well conditioned
        var s = Enumerable.Range(0, n).Select(i => -1 + 2 * (i + 0.25 + 0.5 * rng.NextDouble()) / n).ToArray();
        var testS = Enumerable.Range(0, settings.TestPoints).Select(i => -1 + 2.0 * i / settings.TestPoints).ToArray();
        var y = s.Select(Target).ToArray();
        var x = WidthExperiment.Circle(s);
        var xt = WidthExperiment.Circle(testS);
        var theta = arch.ComputeKernels(x).Ntk!;
        var cross = arch.ComputeKernels(xt, x).Ntk!;

        // the limit by the eigendecomposition Θ = VΛVᵀ: Θ*·V·Λ⁻¹·Vᵀy
        var eig = LinearAlgebra.Eigen(theta);
        double lmin = eig.Values[0], lmax = eig.Values[^1];
        var vty = new double[n];
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++) vty[j] += eig.Vectors[i, j] * y[i];
        double[] Spectral(Func<double, double> weight)   // Θ*·V·diag(weight(λ)/λ)·Vᵀy
        {
            var coef = new double[n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) coef[i] += eig.Vectors[i, j] * weight(eig.Values[j]) / eig.Values[j] * vty[j];
            return MatVec(cross, coef);
        }
        var limit = Spectral(_ => 1);

        double eta = settings.LearningRateFraction * 2 * n / lmax;
        // SGD on a batch B is stable for η·λ_max(Θ_BB)/|B| < 2, and λ_max(Θ_BB) ≤ min(λ_max(Θ), |B|·max Θ_ii)
        double sgdEta = settings.LearningRateFraction * 2 * b / Math.Min(lmax, b * theta.Diagonal().Max());
        var checkpoints = Checkpoints(settings.Steps);
        var runs = new List<InfiniteRun>
        {
            FunctionSpace(Algorithms[0], theta, cross, y, limit, checkpoints, settings.Steps, (f, t) => FullBatch(f, theta, cross, y, eta), cancellationToken),
            Newton(theta, cross, y, limit),
            FunctionSpace(Algorithms[2], theta, cross, y, limit, checkpoints, settings.Steps, Sgd(theta, cross, y, b, sgdEta, settings.DecayFraction * settings.Steps, settings.Seed), cancellationToken),
            FunctionSpace(Algorithms[3], theta, cross, y, limit, checkpoints, settings.Steps, HeavyBall(theta, cross, y, eta, settings.Momentum), cancellationToken),
        };
        int steps = settings.Steps;
        var closed = Spectral(l => 1 - Math.Pow(1 - eta * l / n, steps));
        double gap = MaxAbs(closed, runs[0].Prediction);

        var rows = new List<WidthRow>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long total = settings.Widths.Sum(w => (long)w) * settings.Repeats, done = 0;
        foreach (int width in settings.Widths)
        {
            var losses = new double[Algorithms.Count];
            var distances = new double[Algorithms.Count];
            double spread = 0;
            double[][]? first = null;
            for (int rep = 0; rep < settings.Repeats; rep++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (predictions, trainLosses) = TrainNetworks(arch, x, xt, y, width, settings.Seed * 7919 + width * 31 + rep, settings, cancellationToken);
                first ??= predictions;
                double worst = 0;
                for (int a = 0; a < predictions.Length; a++)
                {
                    losses[a] += trainLosses[a] / settings.Repeats;
                    distances[a] += Rms(predictions[a], limit) / settings.Repeats;
                    for (int c = a + 1; c < predictions.Length; c++) worst = Math.Max(worst, Rms(predictions[a], predictions[c]));
                }
                spread += worst / settings.Repeats;
                done += width;
                progress?.Report(new ProgressInfo(done, total, "algorithms", clock.Elapsed));
            }
            rows.Add(new WidthRow(width, spread, losses, distances, first!));
        }
        return new Result(s, y, testS, limit, runs, gap, lmax / lmin, eta, sgdEta, rows);
    }

    /// <summary>One update of the train and test predictions (f, f*) at step t.</summary>
    private delegate void Update(State f, int t);

    /// <summary>Training and test predictions of the function-space dynamics, and the previous ones (momentum).</summary>
    private sealed class State(int n, int m)
    {
        public double[] Train = new double[n], Test = new double[m], PreviousTrain = new double[n], PreviousTest = new double[m];
    }

    private static InfiniteRun FunctionSpace(string name, Matrix theta, Matrix cross, double[] y, double[] limit, int[] checkpoints, int steps,
        Update update, CancellationToken cancellationToken)
    {
        var f = new State(y.Length, cross.Rows);   // a centred network: f₀ = 0
        var distance = new List<double>();
        int next = 0;
        for (int t = 0; t < steps; t++)
        {
            if (t % 1000 == 0) cancellationToken.ThrowIfCancellationRequested();
            update(f, t);
            if (next < checkpoints.Length && checkpoints[next] == t + 1) { distance.Add(MaxAbs(f.Test, limit)); next++; }
        }
        return new InfiniteRun(name, checkpoints, distance.ToArray(), f.Test, MaxAbs(f.Train, y));
    }

    /// <summary>Gradient descent: f ← f − ηΘ(f − y)/n, f* ← f* − ηΘ*(f − y)/n.</summary>
    private static void FullBatch(State f, Matrix theta, Matrix cross, double[] y, double eta)
    {
        int n = y.Length;
        var r = new double[n];
        for (int i = 0; i < n; i++) r[i] = eta / n * (f.Train[i] - y[i]);
        Subtract(f.Train, MatVec(theta, r));
        Subtract(f.Test, MatVec(cross, r));
    }

    /// <summary>Heavy ball: f_{t+1} = f_t − ηΘ(f_t − y)/n + β(f_t − f_{t−1}), the same on the test points.</summary>
    private static Update HeavyBall(Matrix theta, Matrix cross, double[] y, double eta, double beta) => (f, _) =>
    {
        var train = (double[])f.Train.Clone();
        var test = (double[])f.Test.Clone();
        FullBatch(f, theta, cross, y, eta);
        for (int i = 0; i < train.Length; i++) f.Train[i] += beta * (train[i] - f.PreviousTrain[i]);
        for (int i = 0; i < test.Length; i++) f.Test[i] += beta * (test[i] - f.PreviousTest[i]);
        f.PreviousTrain = train;
        f.PreviousTest = test;
    };

    /// <summary>SGD: batches of a reshuffled order (as <see cref="Training.Train"/>), f ← f − η_tΘ_{:,B}(f_B − y_B)/|B| with η_t = η₀/(1 + t/τ).</summary>
    private static Update Sgd(Matrix theta, Matrix cross, double[] y, int batch, double eta0, double tau, int seed)
    {
        int n = y.Length;
        var rng = new Random(seed);
        int[] order = Enumerable.Range(0, n).ToArray();
        int cursor = n;
        return (f, t) =>
        {
            if (cursor + batch > n) { rng.Shuffle(order); cursor = 0; }
            double eta = eta0 / (1 + t / tau);
            var r = new double[n];
            for (int k = cursor; k < cursor + batch; k++) r[order[k]] = eta / batch * (f.Train[order[k]] - y[order[k]]);
            cursor += batch;
            Subtract(f.Train, MatVec(theta, r));
            Subtract(f.Test, MatVec(cross, r));
        };
    }

    /// <summary>Newton's method on the quadratic loss: the Hessian in function space is Θ/n, so one step
    /// f ← f − Θ·Θ⁻¹(f − y) lands on the minimum, and the test points follow f* ← f* − Θ*Θ⁻¹(f − y) (by Cholesky, independent of the limit's eigendecomposition).</summary>
    private static InfiniteRun Newton(Matrix theta, Matrix cross, double[] y, double[] limit)
    {
        int n = y.Length;
        var r = new Matrix(n, 1);
        for (int i = 0; i < n; i++) r.Data[i] = 0 - y[i];   // f₀ = 0
        var alpha = LinearAlgebra.Cholesky(theta).Solve(r).Data;
        var train = new double[n];
        var test = new double[cross.Rows];
        Subtract(train, MatVec(theta, alpha));
        Subtract(test, MatVec(cross, alpha));
        return new InfiniteRun(Algorithms[1], [1], [MaxAbs(test, limit)], test, MaxAbs(train, y));
    }

    /// <summary>
    /// Trains clones of one centred network (f − f₀, trained on y + f₀) with each algorithm; returns the test
    /// predictions f(x*) − f₀(x*) and the final training losses, in <see cref="FiniteAlgorithms"/> order.
    /// </summary>
    private static (double[][] Predictions, double[] Losses) TrainNetworks(Layers.Architecture arch, Matrix x, Matrix xt, double[] y, int width, int seed,
        AlgorithmsSettings s, CancellationToken cancellationToken)
    {
        int n = y.Length;
        var net = Network.Create(arch, x.Cols, width, 1, seed);
        var f0 = net.Predict(x).Data;
        var f0t = net.Predict(xt).Data;
        var target = new Matrix(n, 1, y.Select((v, i) => v + f0[i]).ToArray());
        var ntk = net.Ntk(x);
        double lmax = LinearAlgebra.Eigen(ntk).Values[^1];
        double eta = s.LearningRateFraction * 2 * n / lmax;
        double sgdEta = s.LearningRateFraction * 2 * s.BatchSize / Math.Min(lmax, s.BatchSize * ntk.Diagonal().Max());
        int sgdSteps = checked(s.NetworkSteps * (int)Math.Ceiling((double)n / s.BatchSize));
        var options = new[]
        {
            new TrainingOptions { LearningRate = eta, Steps = s.NetworkSteps },
            null,
            new TrainingOptions { LearningRate = sgdEta, Steps = sgdSteps, BatchSize = s.BatchSize, DecaySteps = s.DecayFraction * sgdSteps, Seed = seed },
            new TrainingOptions { LearningRate = eta, Steps = s.NetworkSteps, Momentum = s.Momentum },
        };
        var predictions = new double[options.Length][];
        var losses = new double[options.Length];
        for (int a = 0; a < options.Length; a++)
        {
            var copy = net.Clone();
            try
            {
                losses[a] = options[a] is { } o ? Training.Train(copy, x, target, o, null, cancellationToken).FinalLoss : GaussNewton(copy, x, target, s.GaussNewtonSteps);
            }
            catch (ArgumentException e) when (options[a] is not null)
            {
                throw new InvalidOperationException($"Width {width}: {FiniteAlgorithms[a]} diverged ({TrainingMessage(e)}): the empirical NTK of so narrow a network grows during training beyond the bound its learning rate was set by; use widths of at least 32.", e);
            }
            var ft = copy.Predict(xt).Data;
            predictions[a] = ft.Select((v, i) => v - f0t[i]).ToArray();
        }
        return (predictions, losses);
    }

    /// <summary>
    /// Gauss–Newton (Newton's method for the linearized network, the minimum-norm step): θ ← θ − Jᵀ(JJᵀ)⁺(f − y)
    /// with JJᵀ the empirical NTK. Jᵀα is the loss gradient for the targets f − n·α (the gradient of
    /// 1/(2n)·Σ(f − y)² is Jᵀ(f − y)/n), so the Jacobian is never formed. A step that does not lower the loss
    /// is halved until it does (damped Gauss–Newton). Returns the final training loss.
    /// </summary>
    private static double GaussNewton(Network net, Matrix x, Matrix y, int steps)
    {
        int n = x.Rows;
        for (int k = 0; k < steps; k++)
        {
            var f = net.Predict(x);
            var r = new Matrix(n, 1);
            for (int i = 0; i < n; i++) r.Data[i] = f.Data[i] - y.Data[i];
            if (r.Data.Max(Math.Abs) < 1e-13) break;
            var ntk = net.Ntk(x);   // singular when a narrow network's dead ReLU units leave fewer than n directions: the pseudoinverse
            var alpha = LinearAlgebra.Eigen(ntk).PseudoInverseApply(r, 1e-10 * ntk.Diagonal().Max());
            var pseudo = new Matrix(n, 1);
            for (int i = 0; i < n; i++) pseudo.Data[i] = f.Data[i] - n * alpha.Data[i];
            var (_, g) = net.LossGradient(x, pseudo);
            var p = net.GetParameters();
            double before = net.Loss(x, y);
            var trial = new double[p.Length];
            for (double step = 1; step > 1e-6; step /= 2)   // the full step, halved while it does not lower the loss (damped Gauss–Newton)
            {
                for (int j = 0; j < p.Length; j++) trial[j] = p[j] - step * g[j];
                net.SetParameters(trial);
                if (net.Loss(x, y) < before) break;
            }
        }
        return net.Loss(x, y);
    }

    private static string TrainingMessage(ArgumentException e) => e.Message.Split(':')[0];

    /// <summary>1, 2, 3, … growing by about 15% up to <paramref name="steps"/> (the last one included).</summary>
    private static int[] Checkpoints(int steps)
    {
        var list = new SortedSet<int> { steps };
        for (double v = 1; v < steps; v *= 1.15) list.Add((int)Math.Round(v));
        return list.ToArray();
    }

    private static double[] MatVec(Matrix a, double[] v)
    {
        var r = new double[a.Rows];
        for (int i = 0; i < a.Rows; i++)
        {
            var row = a.Row(i);
            double sum = 0;
            for (int j = 0; j < v.Length; j++) sum += row[j] * v[j];
            r[i] = sum;
        }
        return r;
    }

    private static void Subtract(double[] a, double[] b)
    {
        for (int i = 0; i < a.Length; i++) a[i] -= b[i];
    }

    private static double MaxAbs(double[] a, double[] b) => a.Select((v, i) => Math.Abs(v - b[i])).Max();

    private static double Rms(double[] a, double[] b) => Math.Sqrt(a.Select((v, i) => (v - b[i]) * (v - b[i])).Average());

    /// <summary>Adds the experiment's section to a report.</summary>
    public static void AddTo(Report report, Result r, AlgorithmsSettings s)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(s);
        string Int(int v) => v.ToString(CultureInfo.InvariantCulture);
        report.Paragraph($"Roberts & Yaida §10.2.2: at infinite width the network is a linear model in its parameters, so with the MSE loss every algorithm that fits the training data " +
                         "from the same initialisation ends at the same function, the kernel-regression prediction Θ*Θ⁻¹y of the NTK Θ (the network is centred, f₀ = 0). " +
                         $"Task: {r.TrainS.Length} training angles on the unit circle (one per arc of length 2π/n, jittered), target g(s) = sin(πs) + cos(2πs)/2 with s = θ/π (smooth, so that finite networks fit it without leaving their linearization), {r.TestS.Length} equally spaced test angles; " +
                         $"architecture `{s.Architecture}`. The NTK on the training points has condition number λ_max/λ_min = {Report.Num(r.Condition)}.");
        report.Heading("Infinite width: four algorithms in function space");
        report.Paragraph($"Gradient descent f ← f − ηΘ(f − y)/n at η = {Report.Num(r.LearningRate)} ({s.LearningRateFraction} × 2n/λ_max); one Newton step f ← f − Θ·Θ⁻¹(f − y) (the Hessian of the loss in function space is Θ/n); " +
                         $"SGD on minibatches of {s.BatchSize}, f ← f − η_tΘ_{{:,B}}(f_B − y_B)/|B| with η_t = η₀/(1 + t/τ), η₀ = {Report.Num(r.SgdLearningRate)} ({s.LearningRateFraction} × 2|B|/min(λ_max(Θ), |B|·max Θ_ii), a bound on every batch's λ_max(Θ_BB)), τ = {Report.Num(s.DecayFraction * s.Steps)} steps; " +
                         $"heavy-ball momentum f_{{t+1}} = f_t − ηΘ(f_t − y)/n + β(f_t − f_{{t−1}}) with β = {Report.Num(s.Momentum)}. The test points follow each update through Θ*. " +
                         $"What the theory predicts: all four reach Θ*Θ⁻¹y; only the path differs (Newton in one step, momentum about 1/(1 − β) times faster than gradient descent on the slow directions, SGD slowest as its rate decays). " +
                         $"Gradient descent's iterate agrees with its closed form Θ*Θ⁻¹(I − (I − ηΘ/n)^t)y to {Report.Num(r.ClosedFormGap)} after {Int(s.Steps)} steps.");
        const double floor = 1e-16;
        report.Image("algorithms-infinite-distance.png",
            Charts.Lines("Distance of the test prediction to the kernel-regression limit Θ*Θ⁻¹y", "log10(step)", "log10(max |f* − Θ*Θ⁻¹y|)",
                r.Infinite.Select(run => new Series(run.Name, run.Steps.Select(t => Math.Log10(t)).ToArray(), run.Distance.Select(d => Math.Log10(Math.Max(d, floor))).ToArray(), Points: run.Steps.Length == 1))),
            "distance to the limit against steps");
        var predictions = new List<Series>
        {
            new("target g", r.TestS, r.TestS.Select(Target).ToArray()),
            new("training points", r.TrainS, r.TrainY, Points: true),
            new("Θ*Θ⁻¹y", r.TestS, r.Limit),
        };
        predictions.AddRange(r.Infinite.Select(run => new Series(run.Name, r.TestS, run.Prediction)));
        report.Image("algorithms-infinite-predictions.png", Charts.Lines("Converged test predictions of the four algorithms (they coincide)", "s = θ/π", "f", predictions, (-3, 3)), "converged predictions side by side");
        report.Table(["algorithm", "steps", "max |f* − Θ*Θ⁻¹y| (test)", "max |f − y| (train)"],
            r.Infinite.Select(run => (IReadOnlyList<string>)[run.Name, Int(run.Steps[^1]), Report.Num(run.Distance[^1]), Report.Num(run.TrainResidual)]),
            "algorithms-infinite.csv");
        var slowest = r.Infinite.MaxBy(run => run.Distance[^1])!;
        report.Paragraph($"Run: every algorithm ends within {Report.Num(slowest.Distance[^1])} of Θ*Θ⁻¹y on the test points (the farthest: {slowest.Name}).");
        report.Csv("algorithms-infinite-curves.csv", ["algorithm", "step", "max_distance"],
            r.Infinite.SelectMany(run => run.Steps.Select((t, i) => (IReadOnlyList<string>)[run.Name, Int(t), run.Distance[i].ToString("R", CultureInfo.InvariantCulture)])));

        report.Heading("Finite width: the spread between algorithms");
        report.Paragraph($"Networks of widths {string.Join(", ", s.Widths)} ('ntk' parameterization, centred: f(x) − f(x; θ₀), trained on y + f₀; {s.Repeats} initialisations per width), each initialisation trained by " +
                         $"gradient descent ({s.NetworkSteps} steps at {s.LearningRateFraction} × 2n/λ_max of its empirical NTK), SGD (batches of {s.BatchSize}, {s.NetworkSteps} epochs, η_t = η₀/(1 + t/τ), τ = {s.DecayFraction} × its steps), " +
                         $"momentum (β = {Report.Num(s.Momentum)}) and Gauss–Newton (up to {s.GaussNewtonSteps} steps θ ← θ − Jᵀ(JJᵀ)⁺(f − y), halved while a step does not lower the loss: Newton's method for the linearized network; the full Hessian of a ReLU network is " +
                         "singular and indefinite in its millions of directions, so the minimum-norm Gauss–Newton step is the feasible Newton-like step). " +
                         "The spread is the largest RMS difference between two algorithms' test predictions, averaged over the initialisations. What the theory predicts: the algorithms differ " +
                         "only through the motion of the empirical NTK during training, which is O(1/√width) in this parameterization, so the spread falls like 1/√width (the line).");
        var logw = r.Rows.Select(w => Math.Log2(w.Width)).ToArray();
        report.Image("algorithms-spread.png",
            Charts.Lines("Spread between the algorithms' test predictions", "log2(width)", "log10(max pairwise RMS)",
            [
                new Series("spread", logw, r.Rows.Select(w => Math.Log10(w.Spread)).ToArray(), Points: true),
                new Series("slope −1/2 (1/√width), through the widest", logw, r.Rows.Select(w => Math.Log10(r.Rows[^1].Spread) - 0.5 * Math.Log10((double)w.Width / r.Rows[^1].Width)).ToArray()),
            ]), "spread against width");
        var narrow = r.Rows[0];
        var fits = new List<Series> { new("Θ*Θ⁻¹y (infinite width)", r.TestS, r.Limit) };
        fits.AddRange(FiniteAlgorithms.Select((name, a) => new Series(name, r.TestS, narrow.Predictions[a])));
        report.Image("algorithms-finite-predictions.png", Charts.Lines($"Width {narrow.Width}: the algorithms' test predictions", "s = θ/π", "f − f₀", fits, (-3, 3)), "the narrowest networks' predictions");
        var headers = new List<string> { "width", "spread", "spread·√width" };
        headers.AddRange(FiniteAlgorithms.Select(a => $"train loss: {a}"));
        headers.AddRange(FiniteAlgorithms.Select(a => $"RMS to Θ*Θ⁻¹y: {a}"));
        report.Table(headers, r.Rows.Select(w =>
        {
            var cells = new List<string> { Int(w.Width), Report.Num(w.Spread), Report.Num(w.Spread * Math.Sqrt(w.Width)) };
            cells.AddRange(w.TrainLoss.Select(Report.Num));
            cells.AddRange(w.DistanceToLimit.Select(Report.Num));
            return (IReadOnlyList<string>)cells;
        }), "algorithms-finite.csv");
        var (a0, a1) = (r.Rows[0], r.Rows[^1]);
        report.Paragraph($"Run: the spread fell from {Report.Num(a0.Spread)} at width {Int(a0.Width)} to {Report.Num(a1.Spread)} at width {Int(a1.Width)}, a factor {Report.Num(a0.Spread / a1.Spread)}; " +
                         $"1/√width predicts {Report.Num(Math.Sqrt((double)a1.Width / a0.Width))}. Where spread·√width (the table) levels off, the 1/√width regime has been reached.");
        report.Setting("algorithms.architecture", s.Architecture);
        report.Setting("algorithms.train_points", s.TrainPoints);
        report.Setting("algorithms.test_points", s.TestPoints);
        report.Setting("algorithms.steps", s.Steps);
        report.Setting("algorithms.widths", string.Join(",", s.Widths));
        report.Setting("algorithms.network_steps", s.NetworkSteps);
        report.Setting("algorithms.gauss_newton_steps", s.GaussNewtonSteps);
        report.Setting("algorithms.repeats", s.Repeats);
        report.Setting("algorithms.batch_size", s.BatchSize);
        report.Setting("algorithms.momentum", s.Momentum);
        report.Setting("algorithms.learning_rate_fraction", s.LearningRateFraction);
        report.Setting("algorithms.decay_fraction", s.DecayFraction);
        report.Setting("algorithms.seed", s.Seed);
    }
}
