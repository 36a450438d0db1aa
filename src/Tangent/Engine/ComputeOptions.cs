using Tangent.Numerics;

namespace Tangent.Engine;

/// <summary>
/// How a kernel computation runs: the linear-algebra provider, the tile size, the memory budget, the
/// threads, progress and cancellation, passed explicitly to every kernel engine (<c>Architecture.ComputeKernels</c>,
/// <c>ConvolutionalKernel.Compute</c>, <c>ClassicalKernel.Compute</c>, <c>IKernel.Compute</c> and the models).
/// Every property left null falls back to the process default (<see cref="LinearAlgebra.Provider"/>, the
/// engine's default tile size and memory budget, all cores), so the process-wide statics are defaults only.
/// </summary>
public sealed record ComputeOptions
{
    /// <summary>All defaults: the process's provider and budget, the engine's tile size, all cores, no progress, no cancellation.</summary>
    public static ComputeOptions Default { get; } = new();

    /// <summary>The linear-algebra provider for the GEMMs; null = <see cref="LinearAlgebra.Provider"/>.</summary>
    public ILinearAlgebraProvider? Provider { get; init; }

    /// <summary>
    /// The tile edge (rows and columns of kernel entries per tile, ≥ 1); null = the engine's default
    /// (<see cref="TileScheduler.DefaultTileSize"/> for dense networks, at most 64 columns for convolutional
    /// networks, the kernel's <c>BlockRows</c> for classical kernels). The convolutional engine may cut it further to fit the budget.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set below 1.</exception>
    public int? TileSize
    {
        get;
        init
        {
            if (value is < 1) throw new ArgumentOutOfRangeException(nameof(TileSize), $"The tile size must be at least 1, got {value}; leave it null for the engine's default.");
            field = value;
        }
    }

    /// <summary>
    /// Bytes the computation may use (outputs, per-thread buffers and per-input temporaries), at least
    /// 1; a computation that cannot fit is refused with an <see cref="InsufficientMemoryException"/> saying how to fit.
    /// Null = the engine's default: for convolutional networks <c>ConvolutionalKernel.DefaultMemoryBudget</c>
    /// (half the memory available), elsewhere the memory available (<see cref="MemoryGuard"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set below 1 byte.</exception>
    public long? MemoryBudget
    {
        get;
        init
        {
            if (value is < 1) throw new ArgumentOutOfRangeException(nameof(MemoryBudget), $"A memory budget of {value} bytes is not positive; give a number of bytes (e.g. 4 << 30), or null for the default.");
            field = value;
        }
    }

    /// <summary>The most threads the tile loops and per-input passes use (≥ 1); null = <see cref="Environment.ProcessorCount"/>.
    /// The provider's own GEMM threading is the provider's.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set below 1.</exception>
    public int? MaxThreads
    {
        get;
        init
        {
            if (value is < 1) throw new ArgumentOutOfRangeException(nameof(MaxThreads), $"MaxThreads must be at least 1, got {value}; leave it null for all {Environment.ProcessorCount} cores.");
            field = value;
        }
    }

    /// <summary>
    /// The arithmetic of the dense engine's input Gram X1·X2ᵀ/d (its dominant GEMM for wide inputs): <see cref="Precision.Float64"/>
    /// (the default) or <see cref="Precision.Float32"/> (each input row rounded to float32 after an exact power-of-two scaling,
    /// products and sums in float32 within blocks, <see cref="SingleGram"/>). The layer recursions (arccos maps and the rest) stay
    /// float64 and the correlation is clipped into [−1, 1], so no entry becomes NaN; docs/PRECISION.md gives the accuracy per
    /// layer type. Convolutional networks on the pair engine (convs, activations, flatten or a global pool) compute their
    /// pixel-pair states in float32 (self pass and diagonal in float64); classical kernels and window pooling stay float64.
    /// </summary>
    public Precision Precision { get; init; }

    /// <summary>Progress in kernel entries; reported from worker threads. Null = none.</summary>
    public IProgress<ProgressInfo>? Progress { get; init; }

    /// <summary>Stops the computation between tiles (an <see cref="OperationCanceledException"/>).</summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>The provider to use: <see cref="Provider"/>, else the process default.</summary>
    public ILinearAlgebraProvider ProviderOrDefault => Provider ?? LinearAlgebra.Provider;

    /// <summary>The threads to use: <see cref="MaxThreads"/>, else every core.</summary>
    public int Threads => MaxThreads ?? Environment.ProcessorCount;

    /// <summary><see cref="ParallelOptions"/> honouring <see cref="MaxThreads"/> and <see cref="CancellationToken"/>.</summary>
    public ParallelOptions ParallelOptions => new() { MaxDegreeOfParallelism = MaxThreads ?? -1, CancellationToken = CancellationToken };

    /// <summary>
    /// Refuses <paramref name="bytes"/> beyond <see cref="MemoryBudget"/> (when set), then checks that they
    /// are available (<see cref="MemoryGuard.Require"/>); one-line messages saying what needs how much and how to fit.
    /// </summary>
    /// <exception cref="InsufficientMemoryException">Over the budget or over the memory available.</exception>
    public void RequireMemory(long bytes, string what, string howToFit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (MemoryBudget is long budget && bytes > budget)
            throw new InsufficientMemoryException(
                $"{what} needs {MemoryGuard.FormatBytes(bytes)} but the memory budget is {MemoryGuard.FormatBytes(budget)}. To fit: {howToFit.TrimEnd('.')}, or raise the budget (ComputeOptions.MemoryBudget, --memory-budget).");
        MemoryGuard.Require(bytes, what, howToFit);
    }
}

/// <summary>A floating-point format: of a computation (<see cref="ComputeOptions.Precision"/>) or of stored values (a kernel store's dtype).</summary>
public enum Precision
{
    /// <summary>IEEE 754 binary64 (double, numpy float64, Zarr <c>&lt;f8</c>): 53-bit significand, relative rounding 2⁻⁵³.</summary>
    Float64,
    /// <summary>IEEE 754 binary32 (float, numpy float32, Zarr <c>&lt;f4</c>): 24-bit significand, relative rounding 2⁻²⁴, range about ±3.4e38.</summary>
    Float32,
}
