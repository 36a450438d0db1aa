using Orleans.Concurrency;
using Tangent.Data;
using Tangent.Engine;
using Tangent.Kernels;
using Tangent.Numerics;

namespace Tangent.Cluster;

/// <summary>How every chunk of one job is computed: the kernel and the compute settings that decide its bits.</summary>
[GenerateSerializer, Immutable]
public sealed class TileJob
{
    /// <summary>The kernel.</summary>
    [Id(0)] public ClusterKernelSpec Kernel { get; init; } = new();

    /// <summary>The tile edge within a chunk (<see cref="ComputeOptions.TileSize"/>), or null for the engine's default.</summary>
    [Id(1)] public int? TileSize { get; init; }

    /// <summary>The threads one chunk may use on its silo (≥ 1); a silo computes about one chunk per core at once.</summary>
    [Id(2)] public int ThreadsPerChunk { get; init; } = 1;

    /// <summary>The linear-algebra provider's name (managed, native; <see cref="LinearAlgebra.ParseKind"/>), or null for the silo's default.</summary>
    [Id(3)] public string? Provider { get; init; }

    /// <summary>The memory budget of one chunk's computation in bytes, or null for the engine's default.</summary>
    [Id(4)] public long? MemoryBudget { get; init; }
}

/// <summary>One chunk to compute: the job, the chunk's place in the store and its two blocks of inputs.</summary>
[GenerateSerializer, Immutable]
public sealed class TileRequest
{
    /// <summary>How to compute it.</summary>
    [Id(0)] public TileJob Job { get; init; } = new();

    /// <summary>The chunk's row index.</summary>
    [Id(1)] public int Row { get; init; }

    /// <summary>The chunk's column index.</summary>
    [Id(2)] public int Col { get; init; }

    /// <summary>The first matrix row of the chunk.</summary>
    [Id(3)] public int RowStart { get; init; }

    /// <summary>The first matrix column of the chunk.</summary>
    [Id(4)] public int ColStart { get; init; }

    /// <summary>The chunk's matrix rows.</summary>
    [Id(5)] public int Rows { get; init; }

    /// <summary>The chunk's matrix columns.</summary>
    [Id(6)] public int Cols { get; init; }

    /// <summary>The features per input (d).</summary>
    [Id(7)] public int Features { get; init; }

    /// <summary>The chunk's Rows inputs of X1, row-major (Rows·Features).</summary>
    [Id(8)] public double[] RowInputs { get; init; } = [];

    /// <summary>The chunk's Cols inputs of X2 (or X1), row-major; null for a diagonal chunk of a symmetric store (K(rows, rows)).</summary>
    [Id(9)] public double[]? ColInputs { get; init; }

    /// <summary>The chunk this request computes.</summary>
    public StoreChunk Chunk => new(Row, Col, RowStart, ColStart, Rows, Cols);

    /// <summary>The request for <paramref name="chunk"/> of K(<paramref name="x1"/>, <paramref name="x2"/>) (x2 null: the symmetric K(X1, X1)).</summary>
    public static TileRequest For(TileJob job, StoreChunk chunk, Matrix x1, Matrix? x2)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(x1);
        var other = x2 ?? x1;
        return new TileRequest
        {
            Job = job,
            Row = chunk.Row, Col = chunk.Col, RowStart = chunk.RowStart, ColStart = chunk.ColStart, Rows = chunk.Rows, Cols = chunk.Cols,
            Features = x1.Cols,
            RowInputs = x1.SliceRows(chunk.RowStart, chunk.Rows).Span.ToArray(),
            ColInputs = x2 is null && chunk.Row == chunk.Col ? null : other.SliceRows(chunk.ColStart, chunk.Cols).Span.ToArray(),
        };
    }
}

/// <summary>A worker that computes kernel chunks (a stateless worker: each silo runs about one activation per core).</summary>
public interface IKernelTileGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Computes one chunk: its Rows·Cols entries, row-major, exactly as <see cref="KernelStoreWriter.ComputeChunk"/> does on one machine,
    /// as the doubles' little-endian bytes (<see cref="TileValues"/>): Orleans copies a byte[] as a block, where a double[] costs it
    /// about 50 ns per element (60–110 ms for a chunk of edge 1024 on the 2-core test VM, which capped a coordinator at a few chunks/s).
    /// </summary>
    Task<byte[]> ComputeAsync(TileRequest request);

    /// <summary>The cores of the silo that answers (<see cref="Environment.ProcessorCount"/>).</summary>
    Task<int> CoresAsync();
}

/// <summary>The worker grain: <see cref="KernelStoreWriter.ComputeChunk"/> on the silo's thread pool.</summary>
[StatelessWorker]
internal sealed class KernelTileGrain : Grain, IKernelTileGrain
{
    public Task<byte[]> ComputeAsync(TileRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Task.Run(() =>
        {
            // Computed straight into the bytes that travel (no copy of the chunk on the silo).
            var bytes = new byte[checked(request.Chunk.Rows * request.Chunk.Cols * sizeof(double))];
            Compute(request, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(bytes.AsSpan()));
            return bytes;
        });
    }

    public Task<int> CoresAsync() => Task.FromResult(Environment.ProcessorCount);

    /// <summary>Computes a request's chunk in this process (what a worker does; also used to check a worker against the store writer).</summary>
    internal static double[] Compute(TileRequest request)
    {
        var into = new double[request.Chunk.Rows * request.Chunk.Cols];
        Compute(request, into);
        return into;
    }

    /// <summary>Computes a request's chunk into <paramref name="into"/> (Rows·Cols entries, row-major).</summary>
    internal static void Compute(TileRequest request, Span<double> into)
    {
        var chunk = request.Chunk;
        int d = request.Features;
        if (d < 1 || request.RowInputs.Length != chunk.Rows * d || (request.ColInputs is { } c && c.Length != chunk.Cols * d))
            throw new ArgumentException($"The request for chunk {chunk.Key} has {request.RowInputs.Length} row and {request.ColInputs?.Length ?? 0} column input values for {chunk.Rows}+{chunk.Cols} inputs of {d} features.", nameof(request));
        var job = request.Job;
        var options = new ComputeOptions
        {
            TileSize = job.TileSize,
            MaxThreads = Math.Max(1, job.ThreadsPerChunk),
            MemoryBudget = job.MemoryBudget,
            Provider = job.Provider is { } p ? LinearAlgebra.Resolve(LinearAlgebra.ParseKind(p)) : null,
        };
        var rows = new Matrix(chunk.Rows, d, request.RowInputs);
        var cols = request.ColInputs is { } ci ? new Matrix(chunk.Cols, d, ci) : null;
        KernelStoreWriter.ComputeChunk(job.Kernel.ToKernel(), chunk, rows, cols, options, into);
    }
}

/// <summary>A chunk's values on the wire: the doubles' little-endian bytes (the silos and clients Tangent runs on are little-endian x64 or Arm64).</summary>
public static class TileValues
{
    /// <summary>The doubles held by <paramref name="bytes"/> (a view, no copy).</summary>
    /// <exception cref="InvalidDataException">The length is not a whole number of doubles.</exception>
    public static ReadOnlySpan<double> FromBytes(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        RequireLittleEndian();
        if (bytes.Length % sizeof(double) != 0)
            throw new InvalidDataException($"A silo returned {bytes.Length} bytes, not a whole number of doubles; the silos run another version of Tangent.");
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(bytes);
    }

    private static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Tangent's cluster sends kernel values as little-endian doubles; this machine is big-endian.");
    }
}
