using Tangent.Dynamics;
using Tangent.Engine;
using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Models;

/// <summary>
/// The prediction of an infinite ensemble of networks of a given architecture trained by gradient
/// descent on MSE (docs/MATH.md §4; Roberts &amp; Yaida ch. 10; Neural Tangents'
/// <c>gradient_descent_mse_ensemble</c>): with <see cref="KernelOutputs.Ntk"/> all layers are trained
/// (mean Θ*ₓΘ⁻¹(I − e^{−Θτ})Y), with <see cref="KernelOutputs.Nngp"/> only the last layer (at t = ∞:
/// exact GP inference with the NNGP). This object is the configuration; <see cref="Fit(Matrix, Matrix, ComputeOptions)"/> computes
/// the train-train kernels and returns the fitted model.
/// </summary>
/// <param name="Architecture">The network.</param>
public sealed record NeuralKernelRegressor(Architecture Architecture)
{
    /// <summary>Which layers are trained: all (<see cref="KernelOutputs.Ntk"/>, the default) or the last
    /// (<see cref="KernelOutputs.Nngp"/>); exactly one of the two (Neural Tangents' <c>get</c>).</summary>
    public KernelOutputs Kernel { get; init; } = KernelOutputs.Ntk;

    /// <summary>Training time t in steps of gradient descent (continuous); ∞ by default.</summary>
    public double Time { get; init; } = double.PositiveInfinity;

    /// <summary>Learning rate η; τ = η·t/N with N the number of entries of Y.</summary>
    public double LearningRate { get; init; } = 1.0;

    /// <summary>The ridge (absolute, or relative to the mean diagonal).</summary>
    public Ridge Ridge { get; init; } = Ridge.None;

    /// <summary>Accept a learning rate above 2N/λmax (the predictions then describe a diverging network).</summary>
    public bool AllowUnstableLearningRate { get; init; }

    /// <summary>How the ensemble mean at finite times is computed (<see cref="EnsembleMethod"/>; docs/SOLVERS.md).</summary>
    public EnsembleMethod Method { get; init; } = EnsembleMethod.Auto;

    /// <summary>Creates the regressor from an architecture spec, e.g. <c>dense(w=1.5,b=0.1) relu dense(w=1.5)</c>.</summary>
    public static NeuralKernelRegressor Parse(string spec) => new(Architecture.Parse(spec));

    /// <summary>Computes the train-train kernels and prepares the ensemble.</summary>
    /// <exception cref="ArgumentException">Shapes disagree, inputs are not finite, <see cref="Kernel"/> is not exactly
    /// one of Ntk and Nngp, or (at a finite time) η exceeds the stable bound.</exception>
    public NeuralKernelRegressorModel Fit(Matrix x, Matrix y, IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default) =>
        Fit(x, y, new ComputeOptions { Progress = progress, CancellationToken = cancellationToken });

    /// <summary>Computes the train-train kernels with <paramref name="options"/> (whose provider also serves the
    /// ensemble's eigendecomposition) and prepares the ensemble.</summary>
    /// <exception cref="ArgumentException">As the other overload.</exception>
    /// <exception cref="OperationCanceledException">The options' token was cancelled.</exception>
    public NeuralKernelRegressorModel Fit(Matrix x, Matrix y, ComputeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate.TrainingPair(x, y);
        if (Kernel is not (KernelOutputs.Ntk or KernelOutputs.Nngp))
            throw new ArgumentException($"NeuralKernelRegressor.Kernel is {Kernel}; it must be exactly one ensemble: KernelOutputs.Ntk (all layers trained) or KernelOutputs.Nngp (last layer only).", nameof(Kernel));
        if (!(Time >= 0)) throw new ArgumentOutOfRangeException(nameof(Time), Time, "The training time must be ≥ 0 (or ∞).");
        var outputs = Kernel == KernelOutputs.Ntk ? KernelOutputs.Both : KernelOutputs.Nngp;
        var k = Architecture.ComputeKernels(x, null, outputs, options);
        var dynamics = new DynamicsOptions { LearningRate = LearningRate, Ridge = Ridge, AllowUnstableLearningRate = AllowUnstableLearningRate, Method = Method, Provider = options.Provider };
        var ensemble = Kernel == KernelOutputs.Ntk
            ? InfiniteEnsemble.Ntk(k.Ntk, k.NngpOrNull, y, dynamics)
            : InfiniteEnsemble.Nngp(k.Nngp, y, dynamics);
        return new NeuralKernelRegressorModel(this, x.Clone(), ensemble);
    }
}

/// <summary>A fitted <see cref="NeuralKernelRegressor"/>: query the ensemble at any time, with or without covariance.</summary>
public sealed class NeuralKernelRegressorModel
{
    private readonly Matrix _train;

    internal NeuralKernelRegressorModel(NeuralKernelRegressor config, Matrix train, InfiniteEnsemble ensemble)
    {
        Configuration = config;
        _train = train;
        Ensemble = ensemble;
    }

    /// <summary>The configuration it was fitted with.</summary>
    public NeuralKernelRegressor Configuration { get; }

    /// <summary>The ensemble predictor (train-train kernels, eigendecomposition cached).</summary>
    public InfiniteEnsemble Ensemble { get; }

    /// <summary>The largest stable learning rate 2N/λmax.</summary>
    public double MaxLearningRate => Ensemble.MaxLearningRate;

    /// <summary>The ensemble mean at the configured time.</summary>
    public Matrix Predict(Matrix x, IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default) =>
        PredictWithCovariance(x, CovarianceMode.None, progress, cancellationToken).Mean;

    /// <summary>The ensemble mean at the configured time, the test kernels computed with <paramref name="options"/>.</summary>
    public Matrix Predict(Matrix x, ComputeOptions options) => PredictWithCovariance(x, CovarianceMode.None, options).Mean;

    /// <summary>Mean and covariance (none, diagonal or full, over test inputs) at the configured time.</summary>
    public EnsemblePrediction PredictWithCovariance(Matrix x, CovarianceMode mode = CovarianceMode.Diagonal,
        IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default) =>
        PredictTrajectory(x, [Configuration.Time], mode, progress, cancellationToken)[0];

    /// <summary>Mean and covariance at the configured time, the test kernels computed with <paramref name="options"/>.</summary>
    public EnsemblePrediction PredictWithCovariance(Matrix x, CovarianceMode mode, ComputeOptions options) =>
        PredictTrajectory(x, [Configuration.Time], mode, options)[0];

    /// <summary>Mean and covariance at several times (one eigendecomposition, cheap per time).</summary>
    public IReadOnlyList<EnsemblePrediction> PredictTrajectory(Matrix x, IReadOnlyList<double> times, CovarianceMode mode = CovarianceMode.Diagonal,
        IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default) =>
        PredictTrajectory(x, times, mode, new ComputeOptions { Progress = progress, CancellationToken = cancellationToken });

    /// <summary>Mean and covariance at several times, the test kernels computed with <paramref name="options"/>.</summary>
    /// <exception cref="OperationCanceledException">The options' token was cancelled.</exception>
    public IReadOnlyList<EnsemblePrediction> PredictTrajectory(Matrix x, IReadOnlyList<double> times, CovarianceMode mode, ComputeOptions options)
    {
        Validate.TestInputs(x, _train.Cols);
        ArgumentNullException.ThrowIfNull(times);
        var test = TestKernelsFor(x, mode, options);
        return Ensemble.PredictTrajectory(times, test, mode);
    }

    /// <summary>The kernels between test and training inputs that the ensemble needs.</summary>
    public TestKernels TestKernelsFor(Matrix x, CovarianceMode mode, IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default) =>
        TestKernelsFor(x, mode, new ComputeOptions { Progress = progress, CancellationToken = cancellationToken });

    /// <summary>The kernels between test and training inputs that the ensemble needs, computed with <paramref name="options"/>
    /// (progress is reported for the test-train kernels).</summary>
    public TestKernels TestKernelsFor(Matrix x, CovarianceMode mode, ComputeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var arch = Configuration.Architecture;
        bool ntk = Configuration.Kernel == KernelOutputs.Ntk;
        bool needNngpCross = !ntk || mode != CovarianceMode.None;
        var outputs = (ntk ? KernelOutputs.Ntk : 0) | (needNngpCross ? KernelOutputs.Nngp : 0);
        var cross = arch.ComputeKernels(x, _train, outputs, options);
        Matrix? testTest = null;
        double[]? testDiag = null;
        if (mode == CovarianceMode.Full) testTest = arch.ComputeKernels(x, null, KernelOutputs.Nngp, options with { Progress = null }).Nngp;
        else if (mode == CovarianceMode.Diagonal) testDiag = arch.NngpDiagonal(x);
        return new TestKernels { NtkTestTrain = cross.NtkOrNull, NngpTestTrain = cross.NngpOrNull, NngpTestTest = testTest, NngpTestTestDiagonal = testDiag };
    }
}
