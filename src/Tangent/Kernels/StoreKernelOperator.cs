using System.Collections.Concurrent;
using Tangent.Data;
using Tangent.Engine;
using Tangent.Numerics;

namespace Tangent.Kernels;

/// <summary>
/// Products with a kernel matrix held in a <see cref="KernelStore"/>, streamed chunk by chunk (docs/SOLVERS.md, "Kernel stores"):
/// <see cref="Multiply"/> is a <see cref="LinearOperator"/> for conjugate gradient, the Nyström preconditioner and EigenPro.
/// For a symmetric store only the chunks on and above the diagonal are read, each serving both (i, j) and (j, i), so a product
/// reads half the matrix. Chunks are dealt in turn to a few lanes that run in parallel, each with one chunk in flight and its own
/// n×k accumulator; the lanes' sums are added in lane order, so the result is the same on every run with the same settings.
/// Memory: the lanes' chunks and accumulators and the optional chunk cache, within <see cref="ComputeOptions.MemoryBudget"/>.
/// </summary>
public sealed class StoreKernelOperator
{
    /// <summary>The most chunks in flight at once (lanes) of one product.</summary>
    public const int MaxLanes = 8;

    private readonly ConcurrentDictionary<int, double[]> _cache = new();
    private readonly IReadOnlyList<StoreChunk> _read;
    private readonly int _colChunks;
    private long _cachedBytes;
    private long _chunkReads;
    private long _cacheHits;

    /// <summary>Wraps a complete store.</summary>
    /// <param name="store">The store (every chunk written: <see cref="KernelStoreInfo.Complete"/>).</param>
    /// <param name="options">Provider of the chunk products, threads (lanes ≤ threads), memory budget and cancellation.</param>
    /// <param name="cacheBytes">Bytes of chunks kept in memory after their first read (0: none); null for
    /// <see cref="DefaultCacheBytes"/> of the budget.</param>
    /// <exception cref="IOException">The store is incomplete (a chunk is missing or has no checksum).</exception>
    /// <exception cref="ArgumentOutOfRangeException">The cache size is negative.</exception>
    public StoreKernelOperator(KernelStore store, ComputeOptions? options = null, long? cacheBytes = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (cacheBytes is < 0) throw new ArgumentOutOfRangeException(nameof(cacheBytes), $"The chunk cache must be ≥ 0 bytes; got {cacheBytes}.");
        var info = store.Info();
        if (!info.Complete)
            throw new IOException($"The store '{store.Path}' is incomplete ({info.ChunksDone} of {info.ChunksTotal} chunks done); run the command that made it again to finish it.");
        Store = store;
        Options = options ?? ComputeOptions.Default;
        CacheBytes = cacheBytes ?? DefaultCacheBytes(Options.MemoryBudget);
        _read = store.ComputedChunks;
        _colChunks = (store.Metadata.Cols + store.Metadata.ChunkSize - 1) / store.Metadata.ChunkSize;
    }

    /// <summary>The store read.</summary>
    public KernelStore Store { get; }

    /// <summary>How products run.</summary>
    public ComputeOptions Options { get; }

    /// <summary>The most bytes of chunks kept in memory after their first read. The first chunks read stay (they are not evicted):
    /// a solver sweeps the whole store once per product, in the same order, where a least-recently-used cache would never hit.</summary>
    public long CacheBytes { get; }

    /// <summary>Rows of the matrix (the order n of a symmetric store).</summary>
    public int Rows => Store.Metadata.Rows;

    /// <summary>Columns of the matrix.</summary>
    public int Cols => Store.Metadata.Cols;

    /// <summary>Chunk files read so far (cache misses), over every product, diagonal and column read.</summary>
    public long ChunkReads => Interlocked.Read(ref _chunkReads);

    /// <summary>Chunks served from the cache so far.</summary>
    public long CacheHits => Interlocked.Read(ref _cacheHits);

    /// <summary>The default chunk cache: a quarter of the budget, else 1 GiB or an eighth of the memory available, whichever is less.</summary>
    /// <param name="memoryBudget">Bytes, or null for no budget.</param>
    public static long DefaultCacheBytes(long? memoryBudget) =>
        memoryBudget is long b ? b / 4 : Math.Min(1L << 30, MemoryGuard.AvailableBytes / 8);

    /// <summary>Bytes one lane holds: a chunk as read (file bytes and values) and, for all lanes but the first, an n×k accumulator.</summary>
    private long LaneBytes(int k) => 16L * Store.Metadata.ChunkSize * Store.Metadata.ChunkSize + 8L * Rows * k;

    /// <summary>
    /// The lanes (chunks in flight) of a product with <paramref name="k"/> columns: at most <see cref="MaxLanes"/>, the threads and
    /// the chunks to read, and as many as fit with the cache in the memory budget (else the memory available).
    /// </summary>
    /// <param name="k">Columns of V.</param>
    /// <exception cref="InsufficientMemoryException">Not even one lane fits.</exception>
    public int Lanes(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        long budget = (Options.MemoryBudget ?? MemoryGuard.AvailableBytes) - CacheBytes;
        long lane = LaneBytes(k);
        int lanes = Math.Min(Math.Min(MaxLanes, Options.Threads), Math.Max(_read.Count, 1));
        while (lanes > 1 && lanes * lane > budget) lanes--;
        Options.RequireMemory(16L * Store.Metadata.ChunkSize * Store.Metadata.ChunkSize + CacheBytes,
            $"one {Store.Metadata.ChunkSize}×{Store.Metadata.ChunkSize} chunk of the store '{Store.Path}' in flight plus a {MemoryGuard.FormatBytes(CacheBytes)} chunk cache",
            "make the store with a smaller --chunk");
        return lanes;
    }

    /// <summary>
    /// <paramref name="into"/> = K·<paramref name="v"/> (K the stored Rows×Cols matrix, V Cols×k, into Rows×k, overwritten):
    /// every chunk read once (for a symmetric store, the upper ones only), its products added to the lane's accumulator.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes do not fit K.</exception>
    /// <exception cref="OperationCanceledException">The options' token was cancelled (checked between chunks).</exception>
    public void Multiply(Matrix v, Matrix into)
    {
        ArgumentNullException.ThrowIfNull(v);
        ArgumentNullException.ThrowIfNull(into);
        if (v.Rows != Cols || into.Rows != Rows || into.Cols != v.Cols)
            throw new ArgumentException($"The stored kernel is {Rows}×{Cols}; got V {v.Shape} and output {into.Shape} (need {Cols}×k and {Rows}×k).");
        int k = v.Cols;
        Array.Clear(into.Data);
        if (k == 0) return;
        int lanes = Lanes(k);
        var acc = new Matrix[lanes];
        acc[0] = into;
        for (int l = 1; l < lanes; l++) acc[l] = new Matrix(Rows, k);
        var provider = Options.ProviderOrDefault;
        bool symmetric = Store.Metadata.Symmetric;
        var token = Options.CancellationToken;
        Parallel.For(0, lanes, new ParallelOptions { MaxDegreeOfParallelism = lanes, CancellationToken = token }, lane =>
        {
            var sum = acc[lane];
            for (int q = lane; q < _read.Count; q += lanes)
            {
                token.ThrowIfCancellationRequested();
                var c = _read[q];
                var b = Read(c);
                // sum[rows of c] += B·V[cols of c]
                provider.Gemm(Op.None, Op.None, c.Rows, k, c.Cols, 1.0, b, c.Cols, v.Data.AsSpan(c.ColStart * k), k, 1.0, sum.Data.AsSpan(c.RowStart * k), k);
                // the mirror chunk (j, i) = Bᵀ: sum[cols of c] += Bᵀ·V[rows of c]
                if (symmetric && c.Row != c.Col)
                    provider.Gemm(Op.Transpose, Op.None, c.Cols, k, c.Rows, 1.0, b, c.Cols, v.Data.AsSpan(c.RowStart * k), k, 1.0, sum.Data.AsSpan(c.ColStart * k), k);
            }
        });
        for (int l = 1; l < lanes; l++)
        {
            var d = acc[l].Data;
            for (int i = 0; i < d.Length; i++) into.Data[i] += d[i];
        }
    }

    /// <summary>The diagonal K[i, i] (from the diagonal chunks; the store must be square).</summary>
    /// <exception cref="InvalidOperationException">The store is not square.</exception>
    public double[] Diagonal()
    {
        if (Rows != Cols) throw new InvalidOperationException($"The store '{Store.Path}' is {Rows}×{Cols}; only a square kernel has a diagonal.");
        var d = new double[Rows];
        int chunks = (Rows + Store.Metadata.ChunkSize - 1) / Store.Metadata.ChunkSize;
        for (int r = 0; r < chunks; r++)
        {
            Options.CancellationToken.ThrowIfCancellationRequested();
            var c = Store.ChunkAt(r, r);
            var b = Read(c);
            for (int i = 0; i < c.Rows; i++) d[c.RowStart + i] = b[i * c.Cols + i];
        }
        return d;
    }

    /// <summary>The trace Σ K[i, i] (for a ridge relative to the mean diagonal).</summary>
    public double Trace() => Diagonal().Sum();

    /// <summary>
    /// The columns K[:, j] for j in <paramref name="columns"/> (Rows×m, in the order given), e.g. the landmarks of a column-sampling
    /// Nyström approximation: only the chunk columns that hold them are read.
    /// </summary>
    /// <param name="columns">0-based column indices (repeats allowed).</param>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside 0..Cols−1.</exception>
    public Matrix Columns(IReadOnlyList<int> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        foreach (int j in columns)
            if (j < 0 || j >= Cols) throw new ArgumentOutOfRangeException(nameof(columns), $"Column {j} is outside the stored kernel's 0..{Cols - 1}.");
        int e = Store.Metadata.ChunkSize, rowChunks = (Rows + e - 1) / e;
        var m = new Matrix(Rows, columns.Count);
        foreach (var group in Enumerable.Range(0, columns.Count).GroupBy(q => columns[q] / e))
            for (int r = 0; r < rowChunks; r++)
            {
                Options.CancellationToken.ThrowIfCancellationRequested();
                var c = Store.ChunkAt(r, group.Key);
                var b = Read(c);
                foreach (int q in group)
                {
                    int j = columns[q] - c.ColStart;
                    for (int i = 0; i < c.Rows; i++) m[c.RowStart + i, q] = b[i * c.Cols + j];
                }
            }
        return m;
    }

    /// <summary>A chunk's values, from the cache or the store (kept in the cache while it has room).</summary>
    private double[] Read(StoreChunk chunk)
    {
        int key = chunk.Row * _colChunks + chunk.Col;
        if (_cache.TryGetValue(key, out var hit))
        {
            Interlocked.Increment(ref _cacheHits);
            return hit;
        }
        var values = Store.ReadChunk(chunk);
        Interlocked.Increment(ref _chunkReads);
        long bytes = 8L * values.Length;
        if (CacheBytes > 0 && Interlocked.Add(ref _cachedBytes, bytes) <= CacheBytes)
        {
            if (!_cache.TryAdd(key, values)) Interlocked.Add(ref _cachedBytes, -bytes);
        }
        else if (CacheBytes > 0) Interlocked.Add(ref _cachedBytes, -bytes);
        return values;
    }
}
