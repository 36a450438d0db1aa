using Tangent.Data;
using Tangent.Dynamics;
using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Models;

/// <summary>
/// Kernel ridge regression α = (K + λI)⁻¹·Y solved by preconditioned conjugate gradient instead of a
/// Cholesky factorization (docs/SOLVERS.md): K is held once (no factor, no copy: about 1× the kernel
/// instead of the factorization's peak), every target column is solved at once, and the randomized
/// Nyström preconditioner of Frangella, Tropp &amp; Udell (2021) cuts the iterations. The kernel may also
/// come from elsewhere (a store, tiles recomputed on the fly) through <see cref="FitOperator"/>.
/// </summary>
/// <param name="Kernel">The kernel: classical or an infinite-width network's NNGP/NTK.</param>
public sealed record IterativeKernelRegression(IKernel Kernel)
{
    /// <summary>The ridge, as for <see cref="KernelRegression.Ridge"/>; CG needs K + λI positive definite, so give λ &gt; 0 unless K is well conditioned.</summary>
    public Ridge Ridge { get; init; } = Ridge.None;

    /// <summary>Relative residual ‖Y − (K + λI)α‖/‖Y‖ per column at which CG stops. Default 1e-8.</summary>
    public double Tolerance { get; init; } = 1e-8;

    /// <summary>Most CG iterations. Default 1000.</summary>
    public int MaxIterations { get; init; } = 1000;

    /// <summary>Rank ℓ of the Nyström preconditioner (capped at n); 0 = no preconditioner. Default 100.</summary>
    public int PreconditionerRank { get; init; } = 100;

    /// <summary>Seed of the preconditioner's random sketch.</summary>
    public int Seed { get; init; }

    /// <summary>The iteration: <see cref="IterativeMethod.ConjugateGradient"/> (default) or <see cref="IterativeMethod.EigenPro"/>.</summary>
    public IterativeMethod Method { get; init; } = IterativeMethod.ConjugateGradient;

    /// <summary>Called after every iteration (the iteration log).</summary>
    public Action<ConjugateGradientIteration>? OnIteration { get; init; }

    /// <summary>Fits on X (n×d) and Y (n×k): computes K(X, X) once with <paramref name="options"/>, then CG.</summary>
    /// <exception cref="ArgumentException">Shapes disagree, inputs are not finite or a setting is out of range.</exception>
    /// <exception cref="NotPositiveDefiniteException">K + λI is not positive definite (add a ridge).</exception>
    /// <exception cref="OperationCanceledException">The options' token was cancelled.</exception>
    public (KernelRegressionModel Model, ConjugateGradientResult Solve) Fit(Matrix x, Matrix y, ComputeOptions? options = null)
    {
        options ??= ComputeOptions.Default;
        Validate.TrainingPair(x, y);
        Validate.Ridge(Ridge);
        var k = Kernel.Compute(x, null, options);
        double lambda = Ridge.ValueFor(k);
        var result = FitOperator(ConjugateGradient.FromMatrix(k, options.Provider), y, lambda, options);
        return (new KernelRegressionModel(Kernel, x.Clone(), result.Solution, lambda), result);
    }

    /// <summary>
    /// Fits on X (n×d) and Y (n×k) with K(X, X) read from a complete kernel store (docs/SOLVERS.md, "Kernel stores"): the store must
    /// hold this kernel on exactly these inputs (<see cref="StoreMetadata"/>, any chunk edge); the CG products, the preconditioner's
    /// sketch and a relative ridge's trace stream from it through <see cref="StoreKernelOperator"/>, so memory stays at a few chunks,
    /// the chunk cache and a few n×k blocks.
    /// </summary>
    /// <param name="store">The store of K(X, X), complete.</param>
    /// <param name="x">Training inputs (n×d), those the store was made from.</param>
    /// <param name="y">Targets (n×k).</param>
    /// <param name="options">Provider, threads, memory budget, progress (in iterations) and cancellation.</param>
    /// <param name="cacheBytes">The operator's chunk cache; null for <see cref="StoreKernelOperator.DefaultCacheBytes"/>.</param>
    /// <returns>The model, the solve, and the operator (its counters say how many chunks were read).</returns>
    /// <exception cref="InvalidOperationException">The store holds another matrix (other inputs, kernel, kind or shape).</exception>
    /// <exception cref="IOException">The store is incomplete.</exception>
    /// <exception cref="NotPositiveDefiniteException">K + λI is not positive definite (add a ridge).</exception>
    public (KernelRegressionModel Model, ConjugateGradientResult Solve, StoreKernelOperator Operator) FitStore(KernelStore store, Matrix x, Matrix y,
        ComputeOptions? options = null, long? cacheBytes = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        options ??= ComputeOptions.Default;
        Validate.TrainingPair(x, y);
        Validate.Ridge(Ridge);
        if (StoreMismatch(store, Kernel, x) is { } diff)
            throw new InvalidOperationException($"The store '{store.Path}' holds another matrix ({diff}, stored vs asked); give a store made from these training inputs and this kernel.");
        var op = new StoreKernelOperator(store, options, cacheBytes);
        double lambda = Ridge.RelativeToMeanDiagonal && Ridge.Value != 0 ? Ridge.ValueForTrace(op.Trace(), x.Rows) : Ridge.Value;
        var result = FitOperator(op.Multiply, y, lambda, options);
        return (new KernelRegressionModel(Kernel, x.Clone(), result.Solution, lambda), result, op);
    }

    /// <summary>The kind a store of <paramref name="kernel"/> records (as <c>tangent kernel --out K.zarr</c> writes it): nngp or ntk for
    /// a network's kernel, classical otherwise.</summary>
    public static string StoreKind(IKernel kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        return kernel is NeuralKernel nk ? (nk.Get == KernelOutputs.Nngp ? "nngp" : "ntk") : "classical";
    }

    /// <summary>The metadata of the store of K(X, X) for <paramref name="kernel"/> with chunk edge <paramref name="chunkSize"/>.</summary>
    public static KernelStoreMetadata StoreMetadata(IKernel kernel, Matrix x, int chunkSize) =>
        KernelStoreWriter.Metadata(kernel, StoreKind(kernel), x, null, chunkSize);

    /// <summary>The first difference ("field: stored vs asked") between <paramref name="store"/> and the store of K(X, X) for
    /// <paramref name="kernel"/> (whatever its chunk edge), or null when it holds that matrix.</summary>
    public static string? StoreMismatch(KernelStore store, IKernel kernel, Matrix x)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.Metadata.FirstDifference(StoreMetadata(kernel, x, store.Metadata.ChunkSize));
    }

    /// <summary>
    /// f(X*) = K(X*, X)·α computed in blocks of test rows: K(X*_b, X) for one block at a time (never the whole n*×n), each
    /// multiplied by α (<see cref="KernelTiles.MultiplyTestTrain"/>): a block holds at most an eighth of the memory budget
    /// (256 MiB without one), and at least one row.
    /// </summary>
    /// <param name="kernel">The kernel.</param>
    /// <param name="train">Training inputs X (n×d).</param>
    /// <param name="coefficients">α (n×k).</param>
    /// <param name="test">Test inputs X* (n*×d).</param>
    /// <param name="options">How each block is computed (provider, budget, threads, cancellation); progress is in kernel entries.</param>
    /// <exception cref="ArgumentException">The shapes disagree.</exception>
    public static Matrix PredictInBlocks(IKernel kernel, Matrix train, Matrix coefficients, Matrix test, ComputeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(coefficients);
        options ??= ComputeOptions.Default;
        Validate.TestInputs(test, train.Cols);
        if (coefficients.Rows != train.Rows)
            throw new ArgumentException($"α has {coefficients.Rows} rows but there are {train.Rows} training inputs; give one row of α per training input.", nameof(coefficients));
        return KernelTiles.MultiplyTestTrain(kernel, test, train, coefficients, options);
    }

    /// <summary>Solves (K + λI)·α = Y with K given only through products (<paramref name="kernel"/>), e.g. streamed from a store.</summary>
    /// <param name="kernel">V ↦ K·V for the n×n training kernel.</param>
    /// <param name="y">Targets (n×k).</param>
    /// <param name="lambda">The absolute ridge λ ≥ 0.</param>
    /// <param name="options">Provider, progress (in iterations) and cancellation.</param>
    public ConjugateGradientResult FitOperator(LinearOperator kernel, Matrix y, double lambda, ComputeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(y);
        options ??= ComputeOptions.Default;
        if (PreconditionerRank < 0) throw new ArgumentOutOfRangeException(nameof(PreconditionerRank), $"The preconditioner rank must be ≥ 0; got {PreconditionerRank}.");
        int n = y.Rows;
        var pre = PreconditionerRank == 0 || n == 0 ? null : new NystromPreconditioner(kernel, n, Math.Min(PreconditionerRank, n), lambda, Seed, options.Provider);
        var start = DateTime.UtcNow;
        var settings = new ConjugateGradientSettings
        {
            Tolerance = Tolerance,
            MaxIterations = MaxIterations,
            CancellationToken = options.CancellationToken,
            OnIteration = it =>
            {
                OnIteration?.Invoke(it);
                options.Progress?.Report(new ProgressInfo(it.Iteration, MaxIterations, Method == IterativeMethod.EigenPro ? "eigenpro" : "cg", DateTime.UtcNow - start));
            },
        };
        return Method == IterativeMethod.EigenPro
            ? PreconditionedRichardson.Solve(kernel, y, lambda, settings, pre)
            : ConjugateGradient.Solve(kernel, y, lambda, settings, pre);
    }
}

/// <summary>How <see cref="IterativeKernelRegression"/> iterates (docs/SOLVERS.md).</summary>
public enum IterativeMethod
{
    /// <summary>Preconditioned conjugate gradient (the fewest operator products).</summary>
    ConjugateGradient,

    /// <summary>EigenPro-style preconditioned Richardson: gradient steps with the top eigen-directions damped (Ma &amp; Belkin 2017).</summary>
    EigenPro,
}
