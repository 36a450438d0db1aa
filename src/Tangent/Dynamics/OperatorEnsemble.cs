using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Dynamics;

/// <summary>
/// The mean of the infinite ensemble of networks trained by gradient descent on MSE (docs/MATH.md §4) from a train-train kernel
/// known only through products — e.g. streamed from a kernel store (<see cref="StoreKernelOperator"/>, docs/STORE.md) — and its
/// trace, never as an n×n matrix (docs/SOLVERS.md, "Ensemble means from a kernel store"). With A = K + λI and τ = η·t/N:
/// at a finite t the mean is K(X*, X)·[τφ(τA)·Y], φ(z) = (1 − e^{−z})/z, with τφ(τA)·Y for every time from one Krylov basis per
/// target column (<see cref="KrylovFunction"/>, exactly as <see cref="EnsembleMethod.Lanczos"/> in <see cref="InfiniteEnsemble"/>);
/// at t = ∞ it is K(X*, X)·α with A·α = Y solved by preconditioned conjugate gradient, which needs a ridge λ &gt; 0.
/// The learning-rate bound 2N/λ_max uses the Lanczos estimate of λ_max(A). The test-train kernel is computed in blocks of test
/// rows and multiplied by the coefficients of all times at once (<see cref="KernelTiles.MultiplyTestTrain"/>).
/// K is Θ for the NTK ensemble (all layers trained) and the NNGP for the last-layer one: the mean needs no other kernel.
/// The covariance needs the eigendecomposition or a Cholesky factor, so it is not offered here.
/// </summary>
public sealed class OperatorEnsemble
{
    /// <summary>The rank ℓ of the Nyström preconditioner of the conjugate-gradient solve at t = ∞ (capped at n), as
    /// <c>IterativeKernelRegression</c>'s default.</summary>
    public const int PreconditionerRank = 100;

    private readonly LinearOperator _kernel;
    private readonly LinearOperator _regularized;
    private readonly Matrix _y;
    private readonly Lazy<double> _largest;
    private readonly string _kernelName;
    private readonly ILinearAlgebraProvider _provider;
    private volatile bool _learningRateChecked;

    /// <summary>Prepares the ensemble; nothing is multiplied until a time is asked for.</summary>
    /// <param name="kind"><see cref="KernelOutputs.Ntk"/> (the kernel is Θ(X, X)) or <see cref="KernelOutputs.Nngp"/> (K(X, X)).</param>
    /// <param name="kernel">V ↦ K·V for the n×n train-train kernel of that kind (symmetric positive semidefinite, unregularized).</param>
    /// <param name="order">n, the number of training inputs.</param>
    /// <param name="trace">trace K = Σ K[i, i] (for a relative ridge, λ = factor·trace/n).</param>
    /// <param name="yTrain">The n×k training targets.</param>
    /// <param name="options">Learning rate, ridge, Krylov and conjugate-gradient settings; null: the defaults. <see cref="DynamicsOptions.Method"/>
    /// must be Auto or Lanczos (the eigendecomposition needs the matrix).</param>
    /// <exception cref="ArgumentException">The kind, a shape or a setting is invalid, or a value is not finite.</exception>
    public OperatorEnsemble(KernelOutputs kind, LinearOperator kernel, int order, double trace, Matrix yTrain, DynamicsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(yTrain);
        if (kind is not (KernelOutputs.Ntk or KernelOutputs.Nngp))
            throw new ArgumentException($"The ensemble is {kind}; it must be exactly one: KernelOutputs.Ntk (all layers trained) or KernelOutputs.Nngp (last layer only).", nameof(kind));
        ArgumentOutOfRangeException.ThrowIfNegative(order);
        if (!double.IsFinite(trace)) throw new ArgumentException($"The kernel's trace must be finite; got {trace}.", nameof(trace));
        Shapes.RequireRows(yTrain, order, nameof(yTrain), "training targets, one row per training input");
        Shapes.RequireFinite(yTrain, nameof(yTrain));
        Options = options ?? DynamicsOptions.Default;
        if (!(Options.LearningRate > 0) || !double.IsFinite(Options.LearningRate))
            throw new ArgumentOutOfRangeException(nameof(options), Options.LearningRate, "The learning rate must be a finite number > 0 (Neural Tangents' default is 1).");
        if (Options.EigenvalueTolerance is { } tol && !(tol >= 0))
            throw new ArgumentOutOfRangeException(nameof(options), tol, "The eigenvalue tolerance must be ≥ 0 (or null for the default n·ε·λ_max).");
        if (Options.Method is not (EnsembleMethod.Auto or EnsembleMethod.Lanczos))
            throw new ArgumentException($"DynamicsOptions.Method is {Options.Method}, but a kernel known only through products gives the mean by Lanczos: " +
                "use EnsembleMethod.Lanczos (or Auto), or InfiniteEnsemble with the kernel matrix for the eigendecomposition.", nameof(options));
        new KrylovSettings { Tolerance = Options.KrylovTolerance, MaxDimension = Options.KrylovMaxDimension }.Check();
        new ConjugateGradientSettings { Tolerance = Options.ConjugateGradientTolerance, MaxIterations = Options.ConjugateGradientMaxIterations }.Check();
        Kind = kind;
        TrainCount = order;
        TargetEntries = yTrain.Rows * yTrain.Cols;
        RidgeValue = Options.Ridge.ValueForTrace(trace, order);
        _kernelName = kind == KernelOutputs.Ntk ? "train-train NTK" : "train-train NNGP";
        _provider = Options.Provider ?? LinearAlgebra.Provider;
        _kernel = kernel;
        double lambda = RidgeValue;
        _regularized = lambda == 0 ? kernel : (v, into) =>
        {
            kernel(v, into);
            var d = into.Data;
            var s = v.Data;
            for (int i = 0; i < d.Length; i++) d[i] += lambda * s[i];
        };
        _y = yTrain.Clone();
        _largest = new Lazy<double>(() => KrylovFunction.EstimateLargestEigenvalue(_regularized, TrainCount, provider: _provider));
    }

    /// <summary>Which ensemble: <see cref="KernelOutputs.Ntk"/> or <see cref="KernelOutputs.Nngp"/>.</summary>
    public KernelOutputs Kind { get; }

    /// <summary>n, the number of training inputs.</summary>
    public int TrainCount { get; }

    /// <summary>N, the number of entries of Y_train (the loss normalisation).</summary>
    public int TargetEntries { get; }

    /// <summary>The settings it was built with.</summary>
    public DynamicsOptions Options { get; }

    /// <summary>The absolute ridge λ added to the kernel.</summary>
    public double RidgeValue { get; }

    /// <summary>The Lanczos estimate of λ_max(K + λI) (<see cref="KrylovFunction.EstimateLargestEigenvalue"/>; a few products, computed once).</summary>
    public double LargestEigenvalue => _largest.Value;

    /// <summary>2N/λ_max(K + λI) with the Lanczos estimate of λ_max: the largest stable learning rate (docs/MATH.md §4).</summary>
    public double MaxLearningRate => LearningRateBound.FromLargestEigenvalue(LargestEigenvalue, TargetEntries);

    /// <summary>Ritz values at or below this count as zero (the kernel's null space does not move): the option, else n·ε·λ_max.</summary>
    public double Tolerance => Options.EigenvalueTolerance ?? TrainCount * 2.220446049250313e-16 * Math.Abs(LargestEigenvalue);

    /// <summary>τ = η·t/N for a time t (checks the learning rate for a finite t).</summary>
    /// <exception cref="UnstableLearningRateException">η is above 2N/λ_max and that is not allowed.</exception>
    public double Tau(double t)
    {
        Shapes.RequireTime(t);
        if (double.IsPositiveInfinity(t)) return double.PositiveInfinity;
        RequireStableLearningRate();
        return Options.LearningRate * t / TargetEntries;
    }

    /// <summary>
    /// The coefficients C_t (n×k) of the mean μ_t = K(X*, X)·C_t for each time: τφ(τA)·Y at finite times (one Krylov basis for all),
    /// A⁻¹·Y at t = ∞ (conjugate gradient with a Nyström preconditioner of rank <see cref="PreconditionerRank"/>).
    /// </summary>
    /// <param name="times">Training times (each ≥ 0, or +∞), in any order.</param>
    /// <param name="options">Cancellation (and progress of the conjugate-gradient iterations); null: none.</param>
    /// <exception cref="ArgumentException">A time is negative or not a number.</exception>
    /// <exception cref="UnstableLearningRateException">A finite time with η above 2N/λ_max (and that is not allowed).</exception>
    /// <exception cref="InvalidOperationException">t = ∞ without a ridge: give <see cref="DynamicsOptions.Ridge"/> λ &gt; 0.</exception>
    /// <exception cref="NotPositiveDefiniteException">The conjugate-gradient solve met a direction of non-positive curvature.</exception>
    public OperatorEnsembleCoefficients Coefficients(IReadOnlyList<double> times, ComputeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(times);
        options ??= ComputeOptions.Default;
        foreach (double t in times) Shapes.RequireTime(t);
        var token = options.CancellationToken;
        bool infinity = times.Any(double.IsPositiveInfinity);
        if (infinity && RidgeValue == 0 && TrainCount > 0)
            throw new InvalidOperationException($"t = ∞ from a {_kernelName} known only through products is a conjugate-gradient solve of (K + λI)·α = Y, which needs a ridge λ > 0 " +
                "(without one a singular or ill-conditioned kernel need not converge): set DynamicsOptions.Ridge (e.g. Ridge.Relative(1e-6)), or leave t = ∞ out.");
        var values = new Matrix[times.Count];
        KrylovFunctionResult? krylov = null;
        var finite = Enumerable.Range(0, times.Count).Where(q => double.IsFinite(times[q])).ToList();
        if (finite.Count > 0)
        {
            RequireStableLearningRate();
            token.ThrowIfCancellationRequested();
            var taus = finite.Select(q => Tau(times[q])).ToList();
            double tol = Tolerance;
            var functions = taus.Select(tau => (Func<double, double>)(z => z <= tol ? 0 : KrylovFunction.PhiValue(tau, z))).ToList();
            krylov = KrylovFunction.Apply(_regularized, _y, functions, new KrylovSettings
            {
                Tolerance = Options.KrylovTolerance,
                MaxDimension = Options.KrylovMaxDimension,
                Provider = _provider,
                CancellationToken = token,
            });
            for (int s = 0; s < finite.Count; s++) values[finite[s]] = krylov.Values[s];
        }
        ConjugateGradientResult? solve = null;
        if (infinity)
        {
            token.ThrowIfCancellationRequested();
            int n = TrainCount;
            var pre = n == 0 ? null : new NystromPreconditioner(_kernel, n, Math.Min(PreconditionerRank, n), RidgeValue, 0, _provider);
            var start = DateTime.UtcNow;
            solve = ConjugateGradient.Solve(_kernel, _y, RidgeValue, new ConjugateGradientSettings
            {
                Tolerance = Options.ConjugateGradientTolerance,
                MaxIterations = Options.ConjugateGradientMaxIterations,
                CancellationToken = token,
                OnIteration = it => options.Progress?.Report(new ProgressInfo(it.Iteration, Options.ConjugateGradientMaxIterations, "cg", DateTime.UtcNow - start)),
            }, pre);
            bool first = true;
            for (int q = 0; q < times.Count; q++)
            {
                if (!double.IsPositiveInfinity(times[q])) continue;
                values[q] = first ? solve.Solution : solve.Solution.Clone();
                first = false;
            }
        }
        return new OperatorEnsembleCoefficients([.. times], values, krylov, solve);
    }

    /// <summary>
    /// The ensemble's mean test outputs at many times: the coefficients of every time (<see cref="Coefficients"/>), then
    /// K(X*, X) computed in blocks of test rows and multiplied by all of them at once (<see cref="KernelTiles.MultiplyTestTrain"/>),
    /// so the n*×n test-train kernel is never held whole and is computed once.
    /// </summary>
    /// <param name="times">Training times (each ≥ 0, or +∞), in any order.</param>
    /// <param name="kernel">The kernel of this ensemble's kind (the one the products apply), for K(X*, X).</param>
    /// <param name="train">The training inputs X (n×d).</param>
    /// <param name="test">The test inputs X* (n*×d).</param>
    /// <param name="options">Provider, memory budget (the block size), progress (of the test-train kernel) and cancellation.</param>
    /// <param name="blockRows">Test rows per block of K(X*, X); 0 chooses <see cref="KernelTiles.TestBlockRows"/> from the budget.</param>
    /// <exception cref="ArgumentException">A shape disagrees, or as <see cref="Coefficients"/>.</exception>
    public OperatorEnsembleTrajectory PredictTrajectory(IReadOnlyList<double> times, IKernel kernel, Matrix train, Matrix test, ComputeOptions? options = null, int blockRows = 0)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        options ??= ComputeOptions.Default;
        if (train.Rows != TrainCount)
            throw new ArgumentException($"The training inputs have {train.Rows} rows but the kernel is {TrainCount}×{TrainCount}; give the inputs the kernel was computed from.", nameof(train));
        if (test.Cols != train.Cols)
            throw new ArgumentException($"The test inputs have {test.Cols} columns but the training inputs {train.Cols}; give test inputs with the training inputs' features.", nameof(test));
        var coefficients = Coefficients(times, options with { Progress = null });
        int k = _y.Cols, count = times.Count;
        var stacked = new Matrix(TrainCount, k * count);
        for (int q = 0; q < count; q++)
        {
            var c = coefficients.Values[q];
            for (int i = 0; i < TrainCount; i++)
                Array.Copy(c.Data, i * k, stacked.Data, i * k * count + q * k, k);
        }
        var all = KernelTiles.MultiplyTestTrain(kernel, test, train, stacked, options, blockRows);
        var predictions = new EnsemblePrediction[count];
        var finite = Enumerable.Range(0, count).Where(q => double.IsFinite(times[q])).ToList();
        for (int q = 0; q < count; q++)
        {
            var mean = new Matrix(test.Rows, k);
            for (int i = 0; i < test.Rows; i++)
                Array.Copy(all.Data, i * k * count + q * k, mean.Data, i * k, k);
            KrylovReport? report = null;
            if (coefficients.Krylov is { } kr && double.IsFinite(times[q]))
            {
                int s = finite.IndexOf(q);
                report = new KrylovReport(kr.Dimensions[s], kr.Estimates[s], kr.Converged);
            }
            predictions[q] = new EnsemblePrediction(times[q], mean, null, null) { Krylov = report };
        }
        return new OperatorEnsembleTrajectory(predictions, coefficients);
    }

    /// <summary>Throws when the learning rate is above 2N/λ_max (the Lanczos estimate), unless that is allowed.</summary>
    /// <exception cref="UnstableLearningRateException">It is above and not allowed.</exception>
    public void RequireStableLearningRate()
    {
        if (_learningRateChecked) return;
        if (TrainCount > 0 && !Options.AllowUnstableLearningRate)
        {
            double lmax = LargestEigenvalue;
            if (Options.LearningRate > LearningRateBound.FromLargestEigenvalue(lmax, TargetEntries))
                throw KernelFlow.Unstable(Options.LearningRate, lmax, TargetEntries, RidgeValue, _kernelName);
        }
        _learningRateChecked = true;
    }
}

/// <summary>The coefficients of <see cref="OperatorEnsemble.Coefficients"/>: μ_t = K(X*, X)·Values[q] for Times[q].</summary>
/// <param name="Times">The times, in the order asked.</param>
/// <param name="Values">Per time the n×k coefficients (τφ(τA)·Y, or A⁻¹·Y at t = ∞).</param>
/// <param name="Krylov">The Krylov run behind the finite times (in their order among <paramref name="Times"/>); null when there are none.</param>
/// <param name="Solve">The conjugate-gradient solve behind t = ∞; null when it was not asked for.</param>
public sealed record OperatorEnsembleCoefficients(IReadOnlyList<double> Times, IReadOnlyList<Matrix> Values, KrylovFunctionResult? Krylov, ConjugateGradientResult? Solve);

/// <summary>The outcome of <see cref="OperatorEnsemble.PredictTrajectory"/>.</summary>
/// <param name="Predictions">The mean at each time, in the order asked (no covariance; <see cref="EnsemblePrediction.Krylov"/> at finite times).</param>
/// <param name="Coefficients">The coefficients and how the Krylov run and the solve converged.</param>
public sealed record OperatorEnsembleTrajectory(IReadOnlyList<EnsemblePrediction> Predictions, OperatorEnsembleCoefficients Coefficients);
