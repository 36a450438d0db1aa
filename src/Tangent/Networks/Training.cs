using Tangent.Dynamics;
using Tangent.Engine;
using Tangent.Numerics;

namespace Tangent.Networks;

/// <summary>Settings of <see cref="Training.Train"/>: plain gradient descent (full batch) or minibatch SGD,
/// optionally with heavy-ball momentum and a decaying learning rate.</summary>
public sealed record TrainingOptions
{
    /// <summary>Learning rate η. For the MSE loss 1/(2N)·Σ(f − y)², full-batch GD at η for t steps follows
    /// the kernel dynamics at τ = η·t/N (docs/MATH.md §4); it diverges above 2N/λ_max(Θ).</summary>
    public double LearningRate { get; init; } = 1.0;

    /// <summary>Number of steps (parameter updates).</summary>
    public int Steps { get; init; } = 1000;

    /// <summary>Minibatch size; null = full batch (gradient descent).</summary>
    public int? BatchSize { get; init; }

    /// <summary>The loss.</summary>
    public Loss Loss { get; init; } = Loss.MeanSquaredError;

    /// <summary>Seed of the minibatch order (SGD only).</summary>
    public int Seed { get; init; }

    /// <summary>Record the full-batch training loss every this many steps (0: never).</summary>
    public int LossEvery { get; init; }

    /// <summary>Heavy-ball momentum β ∈ [0, 1): θ_{t+1} = θ_t − η_t·g_t + β·(θ_t − θ_{t−1}); 0 (the default) is plain
    /// gradient descent or SGD. For the MSE loss full-batch steps stay stable while η·λ_max(Θ)/N &lt; 2(1 + β).</summary>
    public double Momentum { get; init; }

    /// <summary>Decay time τ of the learning rate, η_t = η/(1 + t/τ) at step t (0-based); null (the default)
    /// keeps η constant. Σ η_t still diverges, so SGD with this schedule converges (Robbins–Monro).</summary>
    public double? DecaySteps { get; init; }
}

/// <summary>What training did: the losses recorded and the final training loss.</summary>
/// <param name="Steps">Steps taken.</param>
/// <param name="FinalLoss">Full-batch training loss at the end.</param>
/// <param name="Losses">(step, loss) pairs recorded every <see cref="TrainingOptions.LossEvery"/> steps.</param>
public sealed record TrainingTrace(int Steps, double FinalLoss, IReadOnlyList<(int Step, double Loss)> Losses);

/// <summary>Full-batch gradient descent and minibatch SGD of finite networks (docs/MATH.md §3-4).</summary>
public static class Training
{
    /// <summary>Trains <paramref name="network"/> in place; deterministic for the given options.</summary>
    /// <exception cref="ArgumentException">Shapes disagree, or the loss became non-finite (learning rate too large).</exception>
    public static TrainingTrace Train(Network network, Matrix x, Matrix y, TrainingOptions options,
        IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(options);
        if (x.Rows != y.Rows) throw new ArgumentException($"X has {x.Rows} rows but Y has {y.Rows}: one target row per input.", nameof(y));
        if (!(options.LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(options), $"The learning rate must be > 0, got {options.LearningRate}.");
        ArgumentOutOfRangeException.ThrowIfNegative(options.Steps);
        int n = x.Rows;
        int batch = Math.Min(options.BatchSize ?? n, n);
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(options), $"The batch size must be ≥ 1, got {options.BatchSize}.");
        if (!(options.Momentum >= 0 && options.Momentum < 1)) throw new ArgumentOutOfRangeException(nameof(options), $"The momentum must be in [0, 1), got {options.Momentum}.");
        if (options.DecaySteps is { } tau && !(tau > 0)) throw new ArgumentOutOfRangeException(nameof(options), $"The decay time τ must be > 0 steps (or null for a constant learning rate), got {tau}.");
        var theta = network.GetParameters();
        var velocity = options.Momentum > 0 ? new double[theta.Length] : null;
        var rng = new Random(options.Seed);
        int[] order = Enumerable.Range(0, n).ToArray();
        int cursor = n;
        var losses = new List<(int, double)>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int step = 0; step < options.Steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Matrix xb = x, yb = y;
            if (batch < n)
            {
                if (cursor + batch > n) { rng.Shuffle(order); cursor = 0; }
                var idx = order.AsSpan(cursor, batch).ToArray();
                cursor += batch;
                xb = x.SelectRows(idx); yb = y.SelectRows(idx);
            }
            var (loss, g) = network.LossGradient(xb, yb, options.Loss);
            if (!double.IsFinite(loss))
                throw new ArgumentException($"The training loss became {loss} at step {step}: the learning rate {options.LearningRate} is too large; " +
                                            "for the MSE loss keep it below 2N/λ_max of the empirical NTK (e.g. half of Ntk-based MaxLearningRate).", nameof(options));
            if (options.LossEvery > 0 && step % options.LossEvery == 0) losses.Add((step, batch < n ? network.Loss(x, y, options.Loss) : loss));
            double eta = options.DecaySteps is { } decay ? options.LearningRate / (1 + step / decay) : options.LearningRate;
            if (velocity is null)
                for (int k = 0; k < theta.Length; k++) theta[k] -= eta * g[k];
            else
                for (int k = 0; k < theta.Length; k++)
                {
                    velocity[k] = options.Momentum * velocity[k] - eta * g[k];
                    theta[k] += velocity[k];
                }
            network.SetParameters(theta);
            if (progress is not null && (step % 50 == 0 || step == options.Steps - 1))
                progress.Report(ProgressOf(step + 1, options.Steps, clock.Elapsed));
        }
        double final = network.Loss(x, y, options.Loss);
        if (options.LossEvery > 0) losses.Add((options.Steps, final));
        return new TrainingTrace(options.Steps, final, losses);
    }

    /// <summary>
    /// The largest stable full-batch learning rate for the MSE loss, 2N/λ_max(Θ̂) with Θ̂ the empirical
    /// NTK of output 0 on the training inputs and N = n·k (docs/MATH.md §4).
    /// </summary>
    public static double MaxLearningRate(Network network, Matrix x, int outputs = 1)
    {
        ArgumentNullException.ThrowIfNull(network);
        var ntk = network.Ntk(x);
        double max = LinearAlgebra.Eigen(ntk).Values.Max();
        return 2.0 * x.Rows * outputs / max;
    }

    internal static ProgressInfo ProgressOf(long done, long total, TimeSpan elapsed) => new(done, total, "training", elapsed);
}
