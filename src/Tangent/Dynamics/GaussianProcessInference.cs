using Tangent.Numerics;

namespace Tangent.Dynamics;

/// <summary>
/// Exact Gaussian-process (Bayesian) inference with a kernel: the posterior of the test outputs
/// given noiseless (or ridge-regularized) training targets (Rasmussen &amp; Williams 2006, Alg. 2.1;
/// Neural Tangents' <c>predict.gp_inference</c>). With the NNGP K this is the infinite ensemble of
/// networks whose last layer is trained to convergence (Roberts &amp; Yaida §10.2, docs/MATH.md §4);
/// with the NTK Θ as the kernel it is the "NTK-GP" posterior (Neural Tangents' <c>get='ntk'</c>).
/// </summary>
/// <remarks>
/// mean = K*ₓ(K + λI)⁻¹Y, cov = K** − K*ₓ(K + λI)⁻¹Kₓ*. One Cholesky factorization (or, for a
/// singular kernel without ridge, the eigendecomposition pseudoinverse) is computed at construction
/// and reused for every test set.
/// </remarks>
public sealed class GaussianProcessInference
{
    private readonly KernelFlow _flow;
    private readonly Matrix _y;
    private readonly Matrix _alpha;

    /// <summary>Prepares inference with a train-train kernel and training targets.</summary>
    /// <param name="kernelTrainTrain">K(X, X), n×n, symmetric positive semi-definite.</param>
    /// <param name="yTrain">The n×k training targets.</param>
    /// <param name="ridge">λ added to the kernel's diagonal (observation noise variance).</param>
    /// <param name="solver">How K + λI is inverted.</param>
    /// <param name="provider">The linear-algebra provider (null: the default).</param>
    /// <param name="kernelName">The kernel's name in messages (e.g. "NNGP", "NTK").</param>
    /// <exception cref="ArgumentException">Shapes disagree, or values are not finite.</exception>
    /// <exception cref="NotPositiveDefiniteException"><paramref name="solver"/> is Cholesky and K + λI is not positive definite.</exception>
    public GaussianProcessInference(Matrix kernelTrainTrain, Matrix yTrain, Ridge ridge = default,
        Solver solver = Solver.Auto, ILinearAlgebraProvider? provider = null, string kernelName = "kernel")
    {
        Shapes.RequireKernel(kernelTrainTrain, nameof(kernelTrainTrain));
        Shapes.RequireRows(yTrain, kernelTrainTrain.Rows, nameof(yTrain), "training targets, one row per training input");
        _flow = new KernelFlow(kernelTrainTrain, yTrain.Rows * yTrain.Cols,
            new DynamicsOptions { Ridge = ridge, Solver = solver, Provider = provider, AllowUnstableLearningRate = true },
            $"train-train {kernelName}");
        _y = yTrain.Clone();
        _alpha = _flow.SolveAtInfinity(_y);
        KernelName = kernelName;
    }

    internal GaussianProcessInference(KernelFlow flow, Matrix yTrain, string kernelName)
    {
        _flow = flow;
        _y = yTrain;
        _alpha = flow.SolveAtInfinity(yTrain);
        KernelName = kernelName;
    }

    /// <summary>The kernel's name in messages.</summary>
    public string KernelName { get; }

    /// <summary>The absolute ridge λ added to the kernel.</summary>
    public double RidgeValue => _flow.RidgeValue;

    /// <summary>True when K + λI was not positive definite and the pseudoinverse is used.</summary>
    public bool UsesPseudoInverse => _flow.UsesPseudoInverseAtInfinity;

    /// <summary>The dual coefficients α = (K + λI)⁻¹Y (a copy), n×k.</summary>
    public Matrix DualCoefficients => _alpha.Clone();

    /// <summary>
    /// The log marginal likelihood of the targets, summed over the k independent output columns:
    /// −½·Σ_c y_cᵀ(K + λI)⁻¹y_c − (k/2)·log det(K + λI) − (n·k/2)·log 2π (Rasmussen &amp; Williams eq. 2.30).
    /// </summary>
    /// <exception cref="InvalidOperationException">K + λI is singular (the likelihood is not finite); add a ridge.</exception>
    public double LogMarginalLikelihood()
    {
        var chol = _flow.CholeskyFactor ?? throw new InvalidOperationException(
            $"The log marginal likelihood needs a positive-definite {KernelName} + λI; this one is singular. Add a ridge (e.g. Ridge.Relative(1e-6)).");
        int n = _y.Rows, k = _y.Cols;
        double fit = 0;
        for (int i = 0; i < _y.Data.Length; i++) fit += _y.Data[i] * _alpha.Data[i];
        return -0.5 * fit - 0.5 * k * chol.LogDeterminant() - 0.5 * n * k * Math.Log(2 * Math.PI);
    }

    /// <summary>The posterior of the test outputs.</summary>
    /// <param name="kernelTestTrain">K(X*, X), n*×n.</param>
    /// <param name="kernelTestTest">K(X*, X*), n*×n* (needed for <see cref="CovarianceMode.Full"/>; for Diagonal its diagonal is used).</param>
    /// <param name="kernelTestTestDiagonal">diag K(X*, X*), length n* (enough for <see cref="CovarianceMode.Diagonal"/>).</param>
    /// <param name="mode">How much of the covariance to compute.</param>
    /// <exception cref="ArgumentException">A shape disagrees or a needed kernel is missing.</exception>
    public EnsemblePrediction Predict(Matrix kernelTestTrain, Matrix? kernelTestTest = null, double[]? kernelTestTestDiagonal = null,
        CovarianceMode mode = CovarianceMode.Full)
    {
        ArgumentNullException.ThrowIfNull(kernelTestTrain);
        Shapes.Require(kernelTestTrain, kernelTestTrain.Rows, _flow.Order, nameof(kernelTestTrain), $"test-train {KernelName}, n*×n");
        var test = new TestKernels { NngpTestTrain = kernelTestTrain, NngpTestTest = kernelTestTest, NngpTestTestDiagonal = kernelTestTestDiagonal };
        var (full, diag) = test.Prior(mode, kernelTestTrain.Rows, KernelName);
        return Posterior(kernelTestTrain, full, diag, mode);
    }

    internal EnsemblePrediction Posterior(Matrix kTestTrain, Matrix? priorFull, double[]? priorDiag, CovarianceMode mode)
    {
        var p = _flow.Provider;
        var mean = DenseOps.Mul(kTestTrain, _alpha, p);
        if (mode == CovarianceMode.None) return new EnsemblePrediction(double.PositiveInfinity, mean, null, null);
        int m = kTestTrain.Rows;
        if (_flow.CholeskyFactor is { } chol)
        {
            // Alg. 2.1: v = L⁻¹Kₓ*, cov = K** − vᵀv (the subtracted term is PSD by construction).
            var v = chol.SolveLower(kTestTrain.Transpose());
            if (mode == CovarianceMode.Diagonal)
            {
                var reduce = DenseOps.ColumnDots(v, v);
                var variance = new double[m];
                for (int i = 0; i < m; i++) variance[i] = priorDiag![i] - reduce[i];
                return new EnsemblePrediction(double.PositiveInfinity, mean, null, variance);
            }
            var vtv = DenseOps.Mul(v, v, p, Op.Transpose);
            var cov = DenseOps.AddScaled(priorFull!, -1, vtv);
            DenseOps.Symmetrize(cov);
            return new EnsemblePrediction(double.PositiveInfinity, mean, cov, cov.Diagonal());
        }
        else
        {
            var b = _flow.SolveAtInfinity(kTestTrain.Transpose()); // (K + λI)⁺Kₓ*, n×n*
            if (mode == CovarianceMode.Diagonal)
            {
                var reduce = DenseOps.RowDots(kTestTrain, b.Transpose());
                var variance = new double[m];
                for (int i = 0; i < m; i++) variance[i] = priorDiag![i] - reduce[i];
                return new EnsemblePrediction(double.PositiveInfinity, mean, null, variance);
            }
            var cov = DenseOps.AddScaled(priorFull!, -1, DenseOps.Mul(kTestTrain, b, p));
            DenseOps.Symmetrize(cov);
            return new EnsemblePrediction(double.PositiveInfinity, mean, cov, cov.Diagonal());
        }
    }
}
