using Tangent.Dynamics;
using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Numerics;

namespace Tangent.Models;

/// <summary>
/// Kernel regression (docs/MATH.md §1; course lecture 3): α = K⁺·Y (the minimum-norm interpolant) when
/// λ = 0, or α = (K + λI)⁻¹·Y (kernel ridge regression); the prediction is f(X*) = K(X*, X)·α.
/// This object is the configuration; <see cref="Fit(Matrix, Matrix, ComputeOptions)"/> returns the fitted, immutable model.
/// </summary>
/// <param name="Kernel">The kernel: classical or an infinite-width network's NNGP/NTK.</param>
public sealed record KernelRegression(IKernel Kernel)
{
    /// <summary>The ridge added to K's diagonal: <see cref="Ridge.None"/> (the default) is minimum-norm
    /// interpolation, <see cref="Ridge.Absolute"/> a fixed λ, <see cref="Ridge.Relative"/> a factor of
    /// mean(diag K) (docs/MATH.md §4, "relative" ridge).</summary>
    public Ridge Ridge { get; init; } = Ridge.None;

    /// <summary>How K + λI is solved (<see cref="Solver.Auto"/>: Cholesky when it is positive definite,
    /// else the pseudoinverse, the minimum-norm interpolant for a singular K without ridge).</summary>
    public Solver Solver { get; init; } = Solver.Auto;

    /// <summary>Fits on inputs X (n×d) and targets Y (n×k).</summary>
    /// <exception cref="ArgumentException">Shapes disagree or inputs are not finite.</exception>
    /// <exception cref="NotPositiveDefiniteException"><see cref="Solver.Cholesky"/> was chosen and K + λI is not positive definite.</exception>
    public KernelRegressionModel Fit(Matrix x, Matrix y, IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default) =>
        Fit(x, y, new ComputeOptions { Progress = progress, CancellationToken = cancellationToken });

    /// <summary>Fits on inputs X (n×d) and targets Y (n×k), computing the kernel with <paramref name="options"/>
    /// (whose provider also solves K + λI).</summary>
    /// <exception cref="ArgumentException">Shapes disagree or inputs are not finite.</exception>
    /// <exception cref="NotPositiveDefiniteException"><see cref="Solver.Cholesky"/> was chosen and K + λI is not positive definite.</exception>
    /// <exception cref="OperationCanceledException">The options' token was cancelled.</exception>
    public KernelRegressionModel Fit(Matrix x, Matrix y, ComputeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate.TrainingPair(x, y);
        Validate.Ridge(Ridge);
        if (x.Rows > TileSize && Solver != Solver.PseudoInverse) return FitTiled(x, y, options);
        var k = Kernel.Compute(x, null, options);
        return FitKernel(x, k, y, options.Provider);
    }

    /// <summary>
    /// Above this many training rows the exact solve holds K + λI as the tiles of its upper half and
    /// factors it in place (<see cref="TiledCholesky"/>): about 0.5 × 8n² bytes at the peak instead of
    /// the 3.6 × 8n² of kernel, copy and factor (docs/SOLVERS.md). Also the tile size. Default 2048.
    /// </summary>
    public int TileSize { get; init; } = SymmetricTiles.DefaultTileSize;

    private KernelRegressionModel FitTiled(Matrix x, Matrix y, ComputeOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(TileSize, 1);
        var tiles = KernelTiles.Compute(Kernel, x, options, TileSize);
        if (tiles.FirstNonFinite() is var (row, col))
            throw new ArgumentException($"Entry ({row + 1}, {col + 1}) of the {Kernel.Describe()} kernel matrix is not finite; rescale the inputs or change the kernel's parameters.");
        var diagonal = tiles.Diagonal();
        double trace = 0;
        foreach (double d in diagonal) trace += d;   // in order, as Ridge.ValueFor sums a dense kernel's diagonal
        double lambda = Ridge.ValueForTrace(trace, diagonal.Length);
        tiles.AddToDiagonal(lambda);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var chol = TiledCholesky.TryFactorInPlace(tiles, out int pivot, options.ProviderOrDefault,
            options.Progress is { } p ? (done, total) => p.Report(new ProgressInfo(done, total, "factor", clock.Elapsed)) : null,
            options.CancellationToken);
        int n = x.Rows;
        bool singular = chol is null
            || (Solver == Solver.Auto && chol.MinPivotSquared() <= n * 2.220446049250313e-16 * (diagonal.Max() + lambda));
        if (!singular)
        {
            var alpha = chol!.Solve(y);
            // The factor (about 4n² bytes) is garbage from here; a collection now returns it before the caller goes on to
            // predict, instead of whenever the collector's budget, grown with it, next runs (full MNIST: 14 GiB).
            chol = null;
            tiles = null;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: false);
            return new KernelRegressionModel(Kernel, x.Clone(), alpha, lambda);
        }
        if (Solver == Solver.Cholesky)
            throw NotPositiveDefiniteException.For([.. diagonal.Select(d => d + lambda)], pivot);
        // Auto on a (numerically) singular K + λI: the minimum-norm solution needs the eigendecomposition of
        // the whole matrix, so the kernel is computed again in full when that fits.
        tiles = null;
        chol = null;
        options.RequireMemory(3L * 8 * n * n, $"The minimum-norm solve of the singular {n}×{n} kernel matrix (eigendecomposition)",
            "add a ridge (--ridge 1e-6 --ridge-relative), which makes K + λI positive definite and the tiled Cholesky exact");
        var k = Kernel.Compute(x, null, options);
        return FitKernel(x, k, y, options.Provider);
    }

    /// <summary>Fits from a precomputed train-train kernel matrix <paramref name="k"/> (it is not modified).</summary>
    public KernelRegressionModel FitKernel(Matrix x, Matrix k, Matrix y) => FitKernel(x, k, y, null);

    private KernelRegressionModel FitKernel(Matrix x, Matrix k, Matrix y, ILinearAlgebraProvider? provider)
    {
        ArgumentNullException.ThrowIfNull(k);
        Validate.TrainingPair(x, y);
        Validate.Ridge(Ridge);
        if (k.Rows != x.Rows || k.Cols != x.Rows)
            throw new ArgumentException($"The kernel matrix is {k.Shape}; expected {x.Rows}×{x.Rows} for {x.Rows} training inputs.");
        double lambda = EffectiveRidge(k);
        var kr = k.Clone();
        kr.AddToDiagonal(lambda);
        // Rasmussen & Williams, Alg. 2.1: L = cholesky(K + λI); α = Lᵀ \ (L \ y); else α = (K + λI)⁺·Y.
        var chol = SolverChoice.Factor(kr, Solver, provider);
        var alpha = chol is not null ? chol.Solve(y) : SymmetricEigen.Compute(kr, provider).PseudoInverseApply(y);
        return new KernelRegressionModel(Kernel, x.Clone(), alpha, lambda);
    }

    /// <summary>λ in absolute terms for the kernel matrix <paramref name="k"/>.</summary>
    public double EffectiveRidge(Matrix k)
    {
        ArgumentNullException.ThrowIfNull(k);
        return Ridge.ValueFor(k);
    }
}

/// <summary>A fitted kernel regression model: the training inputs, the coefficients α and the kernel.</summary>
public sealed class KernelRegressionModel
{
    internal KernelRegressionModel(IKernel kernel, Matrix trainInputs, Matrix alpha, double ridge)
    {
        Kernel = kernel;
        _train = trainInputs;
        _alpha = alpha;
        Ridge = ridge;
    }

    private readonly Matrix _train;
    private readonly Matrix _alpha;

    /// <summary>The kernel.</summary>
    public IKernel Kernel { get; }

    /// <summary>The absolute ridge that was used.</summary>
    public double Ridge { get; }

    /// <summary>The dual coefficients α (n×k), a copy.</summary>
    public Matrix Coefficients => _alpha.Clone();

    /// <summary>Number of input features.</summary>
    public int Features => _train.Cols;

    /// <summary>f(X*) = K(X*, X)·α.</summary>
    public Matrix Predict(Matrix x, IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default) =>
        Predict(x, new ComputeOptions { Progress = progress, CancellationToken = cancellationToken });

    /// <summary>f(X*) = K(X*, X)·α, computing K(X*, X) with <paramref name="options"/> (whose provider also does the product)
    /// in blocks of test rows, so that the whole test-train kernel is never held (<see cref="KernelTiles.TestBlockRows"/>).</summary>
    /// <exception cref="OperationCanceledException">The options' token was cancelled.</exception>
    public Matrix Predict(Matrix x, ComputeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate.TestInputs(x, Features);
        return KernelTiles.MultiplyTestTrain(Kernel, x, _train, _alpha, options);
    }

    /// <summary>f = K*·α from a precomputed test-train kernel K* (n*×n).</summary>
    public Matrix PredictFromKernel(Matrix testTrainKernel)
    {
        ArgumentNullException.ThrowIfNull(testTrainKernel);
        if (testTrainKernel.Cols != _alpha.Rows)
            throw new ArgumentException($"The test-train kernel has {testTrainKernel.Cols} columns; expected {_alpha.Rows} (one per training input).");
        return LinearAlgebra.Multiply(testTrainKernel, _alpha);
    }
}
