using Orleans.Placement;
using Tangent.Engine;
using Tangent.Numerics;

namespace Tangent.Cluster;

/// <summary>What one row block of a distributed kernel holds: rows [RowStart, RowStart + Rows) of K(X, X), computed against all of X.</summary>
[GenerateSerializer, Immutable]
public sealed class RowBlockRequest
{
    /// <summary>The kernel and the compute settings (provider, threads, memory budget) of the block.</summary>
    [Id(0)] public TileJob Job { get; init; } = new();

    /// <summary>The block's index (in messages).</summary>
    [Id(1)] public int Block { get; init; }

    /// <summary>The first row of K the block holds.</summary>
    [Id(2)] public int RowStart { get; init; }

    /// <summary>The rows of K the block holds.</summary>
    [Id(3)] public int Rows { get; init; }

    /// <summary>The features per input (d).</summary>
    [Id(4)] public int Features { get; init; }

    /// <summary>All n inputs X (the columns of the block), row-major (n·d); the block's own rows are rows RowStart… of it.</summary>
    [Id(5)] public double[] Inputs { get; init; } = [];

    /// <summary>The number of inputs n (the columns of the block).</summary>
    public int Columns => Features < 1 ? 0 : Inputs.Length / Features;

    /// <summary>The bytes the block's kernel takes on its silo (8·Rows·n).</summary>
    public long Bytes => 8L * Rows * Columns;
}

/// <summary>What a silo answers to <see cref="IKernelRowBlockGrain.LoadAsync"/>: where the block lives and its size.</summary>
[GenerateSerializer, Immutable]
public sealed class RowBlockLoaded
{
    /// <summary>The address of the silo that holds the block (<c>SiloAddress.ToString()</c>, for logs and tests).</summary>
    [Id(0)] public string Silo { get; init; } = "";

    /// <summary>The bytes of kernel it holds.</summary>
    [Id(1)] public long Bytes { get; init; }
}

/// <summary>The product of a row block with n×k vectors: rows×k values row-major, or <see cref="Loaded"/> false when the activation holds no block.</summary>
[GenerateSerializer, Immutable]
public sealed class RowBlockProduct
{
    /// <summary>False when the activation holds no block (it was re-activated, e.g. on another silo after its silo died, or collected
    /// after being idle): the client sends <see cref="IKernelRowBlockGrain.LoadAsync"/> again, then the product.</summary>
    [Id(0)] public bool Loaded { get; init; }

    /// <summary>K_block·V, Rows×k row-major (empty when not loaded).</summary>
    [Id(1)] public double[] Values { get; init; } = [];

    /// <summary>The answer of an activation that holds nothing.</summary>
    public static RowBlockProduct NotLoaded { get; } = new() { Loaded = false };
}

/// <summary>
/// One row block of a kernel matrix kept in a silo's memory for the distributed conjugate-gradient solver (docs/CLUSTER.md,
/// "Distributed conjugate gradient"). The key is the job (a Guid) and, as its extension, the block and its generation
/// (<c>"block/generation"</c>): the client moves a block to a fresh activation by raising its generation.
/// </summary>
public interface IKernelRowBlockGrain : IGrainWithGuidCompoundKey
{
    /// <summary>Computes K(X[RowStart..RowStart+Rows), X) once and keeps it (a second call with the same block returns at once).</summary>
    /// <exception cref="InsufficientMemoryException">The block does not fit in the job's memory budget or in the silo's memory.</exception>
    Task<RowBlockLoaded> LoadAsync(RowBlockRequest request);

    /// <summary>K_block·V for the n×k vectors <paramref name="v"/> (row-major, n·k values): Rows×k values, or <see cref="RowBlockProduct.NotLoaded"/>.</summary>
    Task<RowBlockProduct> MultiplyAsync(int k, double[] v);

    /// <summary>Drops the block and deactivates.</summary>
    Task ReleaseAsync();
}

/// <summary>
/// The row-block grain. Not a stateless worker: an activation holds its block, and every call for that block must reach it.
/// Placed by activation count (<see cref="ActivationCountBasedPlacementAttribute"/>: the less loaded of two silos picked at random),
/// which spreads the blocks of a job over the silos more evenly than random placement would (each block is Rows·n·8 bytes, so
/// piling several on one silo costs memory), and never on the client's side, which holds no data.
/// </summary>
[ActivationCountBasedPlacement]
internal sealed class KernelRowBlockGrain : Grain, IKernelRowBlockGrain
{
    private RowBlockRequest? _request;
    private Matrix? _block;
    private ILinearAlgebraProvider? _provider;

    public async Task<RowBlockLoaded> LoadAsync(RowBlockRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_block is null || _request is null || _request.RowStart != request.RowStart || _request.Rows != request.Rows || _request.Columns != request.Columns)
        {
            _block = null;
            _request = null;
            var (block, provider) = await Task.Run(() => Compute(request)).ConfigureAwait(true);
            (_block, _provider, _request) = (block, provider, request);
        }
        return new RowBlockLoaded { Silo = GrainContext.Address.SiloAddress?.ToString() ?? RuntimeIdentity, Bytes = request.Bytes };
    }

    public Task<RowBlockProduct> MultiplyAsync(int k, double[] v)
    {
        if (_block is not { } block || _request is not { } request) return Task.FromResult(RowBlockProduct.NotLoaded);
        var provider = _provider;
        return Task.Run(() => new RowBlockProduct { Loaded = true, Values = Multiply(block, request, k, v, provider) });
    }

    public Task ReleaseAsync()
    {
        _block = null;
        _request = null;
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    /// <summary>Computes a block's kernel rows in this process (what <see cref="LoadAsync"/> does; also used by tests).</summary>
    /// <exception cref="ArgumentException">The request's sizes disagree.</exception>
    /// <exception cref="InsufficientMemoryException">The block exceeds the job's memory budget or the memory available.</exception>
    internal static (Matrix Block, ILinearAlgebraProvider? Provider) Compute(RowBlockRequest request)
    {
        int d = request.Features, n = request.Columns;
        if (d < 1 || request.Inputs.Length != (long)n * d || request.Rows < 1 || request.RowStart < 0 || request.RowStart + request.Rows > n)
            throw new ArgumentException($"The request for row block {request.Block} (rows {request.RowStart + 1}..{request.RowStart + request.Rows}) has {request.Inputs.Length} input values for {d} features; it needs n·d values with the rows inside 1..n.", nameof(request));
        var job = request.Job;
        string what = $"Row block {request.Block} of the kernel ({request.Rows}×{n})";
        const string fix = "use more, smaller blocks (more silos, or a smaller block size), or give the silos more memory";
        if (job.MemoryBudget is { } budget && request.Bytes > budget)
            throw new InsufficientMemoryException($"{what} needs {MemoryGuard.FormatBytes(request.Bytes)}, above the job's memory budget of {MemoryGuard.FormatBytes(budget)}. To fit: {fix}, or raise --memory-budget.");
        MemoryGuard.Require(request.Bytes, what + " on its silo", fix);
        var options = new ComputeOptions
        {
            TileSize = job.TileSize,
            MaxThreads = Math.Max(1, job.ThreadsPerChunk),
            MemoryBudget = job.MemoryBudget,
            Provider = job.Provider is { } p ? LinearAlgebra.Resolve(LinearAlgebra.ParseKind(p)) : null,
        };
        var x = new Matrix(n, d, request.Inputs);
        var block = job.Kernel.ToKernel().Compute(x.SliceRows(request.RowStart, request.Rows), x, options);
        return (block, options.Provider);
    }

    /// <summary>K_block·V (Rows×k, row-major) for the n×k vectors <paramref name="v"/>.</summary>
    /// <exception cref="ArgumentException">V is not n×k.</exception>
    internal static double[] Multiply(Matrix block, RowBlockRequest request, int k, double[] v, ILinearAlgebraProvider? provider)
    {
        ArgumentNullException.ThrowIfNull(v);
        if (k < 1 || v.Length != (long)block.Cols * k)
            throw new ArgumentException($"Row block {request.Block} multiplies {block.Cols}×k vectors; got {v.Length} values for k = {k}.", nameof(v));
        return LinearAlgebra.Multiply(block, new Matrix(block.Cols, k, v), provider: provider).Data;
    }
}
