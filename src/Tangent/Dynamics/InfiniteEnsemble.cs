using Tangent.Engine;
using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Dynamics;

/// <summary>
/// The infinite ensemble of wide networks trained by gradient descent on the MSE loss: the test
/// outputs at training time t are Gaussian, with the mean and covariance of docs/MATH.md §4 (Roberts &amp;
/// Yaida eqs. 10.39-10.41; Lee et al. 2019 eqs. 14-16; Neural Tangents'
/// <c>predict.gradient_descent_mse_ensemble</c>). Built once from the train-train kernels (the
/// eigendecomposition is computed on the first finite time and reused), then queried for any test
/// set and many times cheaply.
/// </summary>
/// <remarks>
/// With τ = η·t/N, A = Θ + λI (NTK ensemble) or K + λI (NNGP ensemble) = V·diag(λ)·Vᵀ and
/// g(τ) = (1 − e^{−λτ})/λ:
/// NTK: μ = Θ*ₓ·V·diag(g)·Vᵀ·Y;  Σ = K** + W·(VᵀKₓₓV)·Wᵀ − (W·VᵀKₓ* + its transpose), W = Θ*ₓ·V·diag(g);
/// NNGP: μ = K*ₓ·V·diag(g)·Vᵀ·Y;  Σ = K** − K*ₓ·V·diag(g(2τ))·Vᵀ·Kₓ*.
/// Θ*ₓV, K*ₓV and VᵀKₓₓV are computed once per test set, so a time point costs O(n*·n·k) for the
/// mean, O(n*·n) for the NNGP variances and one n*×n×n product for the NTK variances.
/// At t = ∞ the formulas are evaluated with a Cholesky solve (no eigendecomposition needed), or, in a trajectory that
/// also has finite times and so has the eigendecomposition, with g = 1/λ (the same inverse; see KernelFlow.EigenAtInfinity).
/// The NTK variances take diag(W·M·Wᵀ), M = VᵀKₓₓV, from M's lower block triangle (<see cref="HalfQuadraticForm"/>): half a
/// product per time, into buffers reused across times.
/// With <see cref="EnsembleMethod.Lanczos"/> (or <see cref="EnsembleMethod.Auto"/> for a large n and no covariance)
/// the mean is Θ*ₓ·[τφ(τA)·Y], φ(z) = (1 − e^{−z})/z, with τφ(τA)·Y for all times from one Krylov basis per
/// target column (<see cref="KrylovFunction"/>; docs/SOLVERS.md), never the eigendecomposition.
/// </remarks>
public sealed class InfiniteEnsemble
{
    private readonly KernelFlow _flow;
    private readonly Matrix? _nngpTrainTrain; // K_XX, unregularized (NTK ensemble covariance)
    private readonly Matrix _y;
    private readonly Lazy<Matrix> _yEigen;     // VᵀY
    private readonly Lazy<HalfQuadraticForm> _nngpEigen; // VᵀKₓₓV (NTK ensemble), as its halved lower block triangle
    private readonly Lazy<Matrix> _nngpEigenFull;          // VᵀKₓₓV in full (the NTK ensemble's full covariance only)

    private InfiniteEnsemble(KernelOutputs kind, KernelFlow flow, Matrix? nngpTrainTrain, Matrix y)
    {
        Kind = kind;
        _flow = flow;
        _flow.KrylovSpectrum = flow.Options.Method == EnsembleMethod.Lanczos
            || (flow.Options.Method == EnsembleMethod.Auto && flow.Order > flow.Options.LanczosAbove);
        _nngpTrainTrain = nngpTrainTrain;
        _y = y;
        _yEigen = new Lazy<Matrix>(() => DenseOps.Mul(_flow.Eigen.Vectors, _y, _flow.Provider, Op.Transpose));
        _nngpEigen = new Lazy<HalfQuadraticForm>(() => HalfQuadraticForm.Congruence(_flow.Eigen.Vectors, _nngpTrainTrain!, _flow.Provider));
        _nngpEigenFull = new Lazy<Matrix>(() => _nngpEigen.Value.ToFull());
    }

    /// <summary>The ensemble in which all layers are trained (dynamics by the NTK).</summary>
    /// <param name="ntkTrainTrain">Θ(X, X), n×n.</param>
    /// <param name="nngpTrainTrain">K(X, X), n×n; needed only for covariances (null: mean only).</param>
    /// <param name="yTrain">The n×k training targets.</param>
    /// <param name="options">Learning rate, ridge (added to Θ only), solver; null: the defaults.</param>
    /// <exception cref="ArgumentException">A shape disagrees or a value is not finite.</exception>
    public static InfiniteEnsemble Ntk(Matrix ntkTrainTrain, Matrix? nngpTrainTrain, Matrix yTrain, DynamicsOptions? options = null)
    {
        Shapes.RequireKernel(ntkTrainTrain, nameof(ntkTrainTrain));
        int n = ntkTrainTrain.Rows;
        Shapes.RequireRows(yTrain, n, nameof(yTrain), "training targets, one row per training input");
        if (nngpTrainTrain is not null)
        {
            Shapes.RequireKernel(nngpTrainTrain, nameof(nngpTrainTrain));
            Shapes.Require(nngpTrainTrain, n, n, nameof(nngpTrainTrain), "train-train NNGP, the same inputs as the NTK");
        }
        var flow = new KernelFlow(ntkTrainTrain, yTrain.Rows * yTrain.Cols, options ?? DynamicsOptions.Default, "train-train NTK");
        return new InfiniteEnsemble(KernelOutputs.Ntk, flow, nngpTrainTrain?.Clone(), yTrain.Clone());
    }

    /// <summary>The ensemble in which only the last layer is trained (dynamics by the NNGP); at t = ∞
    /// it is exact GP inference with the NNGP.</summary>
    /// <param name="nngpTrainTrain">K(X, X), n×n.</param>
    /// <param name="yTrain">The n×k training targets.</param>
    /// <param name="options">Learning rate, ridge (added to K), solver; null: the defaults.</param>
    /// <exception cref="ArgumentException">A shape disagrees or a value is not finite.</exception>
    public static InfiniteEnsemble Nngp(Matrix nngpTrainTrain, Matrix yTrain, DynamicsOptions? options = null)
    {
        Shapes.RequireKernel(nngpTrainTrain, nameof(nngpTrainTrain));
        Shapes.RequireRows(yTrain, nngpTrainTrain.Rows, nameof(yTrain), "training targets, one row per training input");
        var flow = new KernelFlow(nngpTrainTrain, yTrain.Rows * yTrain.Cols, options ?? DynamicsOptions.Default, "train-train NNGP");
        return new InfiniteEnsemble(KernelOutputs.Nngp, flow, null, yTrain.Clone());
    }

    /// <summary>Which ensemble this is (Neural Tangents' <c>get='ntk'</c> / <c>get='nngp'</c>):
    /// <see cref="KernelOutputs.Ntk"/> when all layers are trained (the dynamics follow the NTK Θ, the
    /// randomness of the initial outputs the NNGP K; docs/MATH.md §4, Roberts &amp; Yaida eqs. 10.39-10.41),
    /// <see cref="KernelOutputs.Nngp"/> when only the last layer is (the NTK reduces to K, and at t = ∞ the
    /// ensemble is exact Bayesian GP inference with K; Lee et al. 2019, §2.3.1). Never <see cref="KernelOutputs.Both"/>.</summary>
    public KernelOutputs Kind { get; }

    /// <summary>n, the number of training inputs.</summary>
    public int TrainCount => _flow.Order;

    /// <summary>The settings it was built with (learning rate, ridge, method, Krylov tolerance and dimension limit).</summary>
    public DynamicsOptions Options => _flow.Options;

    /// <summary>The absolute ridge λ added to the kernel that is inverted and exponentiated.</summary>
    public double RidgeValue => _flow.RidgeValue;

    /// <summary>2N/λ_max of the kernel that drives the dynamics (computes the eigendecomposition, or with
    /// Lanczos a Lanczos estimate of λ_max unless the eigendecomposition is already there).</summary>
    public double MaxLearningRate => _flow.MaxLearningRate;

    /// <summary>The method a prediction with this covariance mode uses: <see cref="EnsembleMethod.Eigen"/> or
    /// <see cref="EnsembleMethod.Lanczos"/> (<see cref="EnsembleMethod.Auto"/> resolved; see there).</summary>
    public EnsembleMethod MethodFor(CovarianceMode mode) => _flow.Options.Method switch
    {
        EnsembleMethod.Lanczos => EnsembleMethod.Lanczos,
        EnsembleMethod.Auto when mode == CovarianceMode.None && _flow.Order > _flow.Options.LanczosAbove && !_flow.EigenComputed => EnsembleMethod.Lanczos,
        _ => EnsembleMethod.Eigen,
    };

    /// <summary>τ = η·t/N for a time t.</summary>
    public double Tau(double t) => _flow.Tau(t);

    /// <summary>The ensemble's test outputs at time <paramref name="t"/> (+∞ for the end of training).</summary>
    /// <exception cref="ArgumentException">A kernel is missing or has the wrong shape; or the learning
    /// rate is above 2N/λ_max (see <see cref="DynamicsOptions.AllowUnstableLearningRate"/>).</exception>
    public EnsemblePrediction Predict(double t, TestKernels test, CovarianceMode mode = CovarianceMode.Diagonal)
        => PredictTrajectory([t], test, mode)[0];

    /// <summary>The ensemble's test outputs at many times, sharing the work that does not depend on t.</summary>
    /// <exception cref="ArgumentException">A kernel is missing or has the wrong shape; the learning
    /// rate is above 2N/λ_max (see <see cref="DynamicsOptions.AllowUnstableLearningRate"/>); or a covariance
    /// was asked of <see cref="EnsembleMethod.Lanczos"/> at a finite time (it computes the mean only; t = ∞ uses Cholesky).</exception>
    /// <param name="times">Training times (each ≥ 0, or +∞), in any order.</param>
    /// <param name="test">The test kernels (see <see cref="TestKernels"/> for which are needed).</param>
    /// <param name="mode">How much of the covariance to compute.</param>
    /// <param name="progress">Receives one report per finished time point (optional).</param>
    /// <param name="cancellationToken">Stops between time points.</param>
    public IReadOnlyList<EnsemblePrediction> PredictTrajectory(IReadOnlyList<double> times, TestKernels test, CovarianceMode mode = CovarianceMode.Diagonal,
        IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(times);
        ArgumentNullException.ThrowIfNull(test);
        foreach (double t in times) Shapes.RequireTime(t);
        var method = MethodFor(mode);
        if (method == EnsembleMethod.Lanczos && mode != CovarianceMode.None && times.Any(double.IsFinite))
            throw new ArgumentException($"The Lanczos method computes the ensemble mean only, not the {(mode == CovarianceMode.Full ? "full covariance" : "variances")}: " +
                "ask for CovarianceMode.None, or set DynamicsOptions.Method to Eigen (or Auto) for the covariance.", nameof(mode));
        var (drive, noise, m) = Validate(test, mode);
        var (priorFull, priorDiag) = test.Prior(mode, m);
        var results = new EnsemblePrediction[times.Count];
        var p = _flow.Provider;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int done = 0;
        void Report()
        {
            done++;
            progress?.Report(new ProgressInfo(done, times.Count, $"{Kind} ensemble, {m} test × {_flow.Order} train, time point {done}/{times.Count}", clock.Elapsed));
        }

        if (method == EnsembleMethod.Lanczos && times.Any(t => !double.IsPositiveInfinity(t)))
        {
            _flow.RequireStableLearningRate(); // before the expensive products (a Lanczos estimate of λ_max)
            cancellationToken.ThrowIfCancellationRequested();
            var finite = Enumerable.Range(0, times.Count).Where(q => !double.IsPositiveInfinity(times[q])).ToList();
            var krylov = KrylovMeans(finite.Select(q => _flow.Tau(times[q])).ToList(), cancellationToken);
            for (int s = 0; s < finite.Count; s++)
            {
                int q = finite[s];
                var mean = DenseOps.Mul(drive, krylov.Values[s], p);
                results[q] = new EnsemblePrediction(times[q], mean, null, null)
                {
                    Krylov = new KrylovReport(krylov.Dimensions[s], krylov.Estimates[s], krylov.Converged),
                };
                Report();
            }
        }
        bool infinityDone = false;
        if (method != EnsembleMethod.Lanczos && times.Any(t => !double.IsPositiveInfinity(t)))
        {
            _flow.RequireStableLearningRate(); // before the expensive products
            cancellationToken.ThrowIfCancellationRequested();
            var v = _flow.Eigen.Vectors;
            // With the eigendecomposition at hand, t = ∞ is one more time with g = 1/λ (see KernelFlow.EigenAtInfinity).
            infinityDone = _flow.EigenAtInfinity;
            var yv = _yEigen.Value;
            var driveV = DenseOps.Mul(drive, v, p);                                   // Θ*ₓV or K*ₓV
            Matrix? noiseV = mode == CovarianceMode.None || Kind == KernelOutputs.Nngp ? null : DenseOps.Mul(noise!, v, p); // K*ₓV
            var form = noiseV is null ? null : _nngpEigen.Value;
            // The NTK variances reuse two n*×n buffers for all times (W = Θ*ₓV·diag(g) and W·M′ᵀ).
            Matrix? w = noiseV is null ? null : new Matrix(m, _flow.Order);
            Matrix? work = noiseV is null || mode != CovarianceMode.Diagonal ? null : new Matrix(m, _flow.Order);
            for (int q = 0; q < times.Count; q++)
            {
                double t = times[q];
                if (double.IsPositiveInfinity(t) && !infinityDone) continue;
                cancellationToken.ThrowIfCancellationRequested();
                double tau = _flow.Tau(t);
                var g = _flow.Growth(tau);
                var mean = DenseOps.Mul(driveV, DenseOps.ScaleRows(yv, g), p);
                if (mode == CovarianceMode.None) { results[q] = new EnsemblePrediction(t, mean, null, null); Report(); continue; }
                if (Kind == KernelOutputs.Nngp)
                {
                    var h = _flow.Growth(tau, 2);
                    var rh = DenseOps.ScaleColumns(driveV, h);
                    if (mode == CovarianceMode.Diagonal)
                    {
                        var d = DenseOps.RowDots(rh, driveV);
                        var variance = new double[m];
                        for (int i = 0; i < m; i++) variance[i] = priorDiag![i] - d[i];
                        results[q] = new EnsemblePrediction(t, mean, null, variance);
                    }
                    else
                    {
                        var cov = DenseOps.AddScaled(priorFull!, -1, DenseOps.Mul(rh, driveV, p, Op.None, Op.Transpose));
                        DenseOps.Symmetrize(cov);
                        results[q] = new EnsemblePrediction(t, mean, cov, cov.Diagonal());
                    }
                }
                else
                {
                    DenseOps.ScaleColumns(driveV, g, w!);               // W = Θ*ₓ·Θ⁻¹(I − E_τ) in the eigenbasis
                    if (mode == CovarianceMode.Diagonal)
                    {
                        var quad = form!.QuadraticDiagonal(w!, work!);   // diag(W·VᵀKₓₓV·Wᵀ) at half a product
                        var cross = DenseOps.RowDots(w!, noiseV!);
                        var variance = new double[m];
                        for (int i = 0; i < m; i++) variance[i] = priorDiag![i] + quad[i] - 2 * cross[i];
                        results[q] = new EnsemblePrediction(t, mean, null, variance);
                    }
                    else
                    {
                        var wm = DenseOps.Mul(w!, _nngpEigenFull.Value, p); // W·VᵀKₓₓV
                        var cov = DenseOps.AddScaled(priorFull!, 1, DenseOps.Mul(wm, w!, p, Op.None, Op.Transpose));
                        DenseOps.AddSymmetricPart(cov, -1, DenseOps.Mul(w!, noiseV!, p, Op.None, Op.Transpose));
                        DenseOps.Symmetrize(cov);
                        results[q] = new EnsemblePrediction(t, mean, cov, cov.Diagonal());
                    }
                }
                Report();
            }
        }

        if (!infinityDone && times.Any(double.IsPositiveInfinity))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var atInfinity = AtInfinity(drive, noise, priorFull, priorDiag, mode);
            bool first = true;
            for (int q = 0; q < times.Count; q++)
            {
                if (!double.IsPositiveInfinity(times[q])) continue;
                Report();
                results[q] = first ? atInfinity : atInfinity with
                {
                    Mean = atInfinity.Mean.Clone(),
                    Covariance = atInfinity.Covariance?.Clone(),
                    Variance = (double[]?)atInfinity.Variance?.Clone(),
                };
                first = false;
            }
        }
        return results;
    }

    /// <summary>τφ(τA)·Y for every τ from one Krylov basis per column of Y, with the eigen path's convention
    /// that directions at or below the tolerance do not move (g = 0 at Ritz values ≤ tolerance).</summary>
    private KrylovFunctionResult KrylovMeans(IReadOnlyList<double> taus, CancellationToken cancellationToken)
    {
        double tol = _flow.Tolerance;
        var functions = taus.Select(tau => (Func<double, double>)(z => z <= tol ? 0 : KrylovFunction.PhiValue(tau, z))).ToList();
        var settings = new KrylovSettings
        {
            Tolerance = _flow.Options.KrylovTolerance,
            MaxDimension = _flow.Options.KrylovMaxDimension,
            Provider = _flow.Provider,
            CancellationToken = cancellationToken,
        };
        return KrylovFunction.Apply(_flow.Operator, _y, functions, settings);
    }

    private EnsemblePrediction AtInfinity(Matrix drive, Matrix? noise, Matrix? priorFull, double[]? priorDiag, CovarianceMode mode)
    {
        if (Kind == KernelOutputs.Nngp)
            return new GaussianProcessInference(_flow, _y, "NNGP").Posterior(drive, priorFull, priorDiag, mode);

        // Eq. 10.41: μ = Θ*ₓΘ⁻¹Y; Σ = K** + Θ*ₓΘ⁻¹KₓₓΘ⁻¹Θₓ* − (Θ*ₓΘ⁻¹Kₓ* + transpose).
        var p = _flow.Provider;
        var mean = DenseOps.Mul(drive, _flow.SolveAtInfinity(_y), p);
        if (mode == CovarianceMode.None) return new EnsemblePrediction(double.PositiveInfinity, mean, null, null);
        var b = _flow.SolveAtInfinity(drive.Transpose());      // Θ⁻¹Θₓ*, n×n*
        var kb = DenseOps.Mul(_nngpTrainTrain!, b, p);          // KₓₓΘ⁻¹Θₓ*
        int m = drive.Rows;
        if (mode == CovarianceMode.Diagonal)
        {
            var quad = DenseOps.ColumnDots(b, kb);
            var cross = DenseOps.RowDots(noise!, b.Transpose());
            var variance = new double[m];
            for (int i = 0; i < m; i++) variance[i] = priorDiag![i] + quad[i] - 2 * cross[i];
            return new EnsemblePrediction(double.PositiveInfinity, mean, null, variance);
        }
        var cov = DenseOps.AddScaled(priorFull!, 1, DenseOps.Mul(b, kb, p, Op.Transpose));
        DenseOps.AddSymmetricPart(cov, -1, DenseOps.Mul(noise!, b, p));
        DenseOps.Symmetrize(cov);
        return new EnsemblePrediction(double.PositiveInfinity, mean, cov, cov.Diagonal());
    }

    /// <summary>Checks the test kernels this kind and mode need; returns (the kernel that drives the
    /// mean, the test-train NNGP for the covariance, n*).</summary>
    private (Matrix Drive, Matrix? Noise, int TestCount) Validate(TestKernels test, CovarianceMode mode)
    {
        int n = _flow.Order;
        if (Kind == KernelOutputs.Nngp)
        {
            if (test.NngpTestTrain is null)
                throw new ArgumentException($"The NNGP ensemble needs the test-train NNGP K(X*, X) (n*×{n}); set TestKernels.NngpTestTrain.", nameof(test));
            int m0 = test.NngpTestTrain.Rows;
            Shapes.Require(test.NngpTestTrain, m0, n, "NngpTestTrain", $"test-train NNGP, n*×{n}");
            return (test.NngpTestTrain, test.NngpTestTrain, m0);
        }
        if (test.NtkTestTrain is null)
            throw new ArgumentException($"The NTK ensemble needs the test-train NTK Θ(X*, X) (n*×{n}); set TestKernels.NtkTestTrain.", nameof(test));
        int m = test.NtkTestTrain.Rows;
        Shapes.Require(test.NtkTestTrain, m, n, "NtkTestTrain", $"test-train NTK, n*×{n}");
        if (mode == CovarianceMode.None) return (test.NtkTestTrain, null, m);
        if (_nngpTrainTrain is null)
            throw new ArgumentException("The NTK-ensemble covariance needs the train-train NNGP K(X, X); pass it to InfiniteEnsemble.Ntk, or ask for CovarianceMode.None.", nameof(test));
        if (test.NngpTestTrain is null)
            throw new ArgumentException($"The NTK-ensemble covariance needs the test-train NNGP K(X*, X) ({m}×{n}); set TestKernels.NngpTestTrain, or ask for CovarianceMode.None.", nameof(test));
        Shapes.Require(test.NngpTestTrain, m, n, "NngpTestTrain", $"test-train NNGP, the same test inputs as the NTK ({m}×{n})");
        return (test.NtkTestTrain, test.NngpTestTrain, m);
    }
}
