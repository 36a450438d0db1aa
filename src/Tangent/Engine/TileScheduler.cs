using System.Diagnostics;

namespace Tangent.Engine;

/// <summary>A rectangular block of a kernel matrix: rows [Row0, Row0+Rows), columns [Col0, Col0+Cols).</summary>
/// <param name="Row0">First row.</param>
/// <param name="Rows">Number of rows.</param>
/// <param name="Col0">First column.</param>
/// <param name="Cols">Number of columns.</param>
public readonly record struct Tile(int Row0, int Rows, int Col0, int Cols)
{
    /// <summary>Entries in the tile.</summary>
    public long Size => (long)Rows * Cols;
}

/// <summary>
/// The one place that decides how the computation of an n1×n2 kernel matrix is cut into tiles and
/// spread over threads. Tiles of any size (no divisibility constraints); in the symmetric case
/// (K(X, X)) only tiles on or above the diagonal are computed and the caller mirrors them.
/// </summary>
public static class TileScheduler
{
    /// <summary>The default tile edge: large enough for efficient inner loops, small enough that
    /// a tile's temporaries stay in cache-sized memory.</summary>
    public const int DefaultTileSize = 256;

    /// <summary>Lists the tiles covering an n1×n2 matrix (upper-triangular tiles only when symmetric).</summary>
    public static List<Tile> Plan(int n1, int n2, bool symmetric, int tileRows = DefaultTileSize, int tileCols = DefaultTileSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n1);
        ArgumentOutOfRangeException.ThrowIfNegative(n2);
        ArgumentOutOfRangeException.ThrowIfLessThan(tileRows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(tileCols, 1);
        if (symmetric && n1 != n2) throw new ArgumentException($"A symmetric kernel must be square, got {n1}×{n2}.");
        if (symmetric) tileCols = tileRows;
        var tiles = new List<Tile>();
        for (int i0 = 0; i0 < n1; i0 += tileRows)
            for (int j0 = symmetric ? i0 : 0; j0 < n2; j0 += tileCols)
                tiles.Add(new Tile(i0, Math.Min(tileRows, n1 - i0), j0, Math.Min(tileCols, n2 - j0)));
        return tiles;
    }

    /// <summary>
    /// Runs <paramref name="compute"/> on every tile, in parallel, reporting progress in kernel entries.
    /// </summary>
    /// <param name="tiles">The tiles, from <see cref="Plan"/>.</param>
    /// <param name="compute">Computes one tile; called concurrently for different tiles.</param>
    /// <param name="stage">Label for progress reports.</param>
    /// <param name="progress">Optional sink; called from worker threads.</param>
    /// <param name="cancellationToken">Stops scheduling new tiles.</param>
    /// <param name="maxDegreeOfParallelism">Threads; default all cores.</param>
    public static void Run(IReadOnlyList<Tile> tiles, Action<Tile> compute, string stage = "kernel",
        IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default, int maxDegreeOfParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(tiles);
        ArgumentNullException.ThrowIfNull(compute);
        long total = 0;
        foreach (var t in tiles) total += t.Size;
        long done = 0;
        var clock = Stopwatch.StartNew();
        progress?.Report(new ProgressInfo(0, total, stage, TimeSpan.Zero));
        // At most one worker per core: with no limit, Parallel.ForEach keeps asking the thread pool for more workers
        // while tiles run long, and the pool injects threads (a CNTK run was seen with about 60 runnable), each with its own buffers.
        int workers = maxDegreeOfParallelism > 0 ? maxDegreeOfParallelism : Environment.ProcessorCount;
        var options = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = workers };
        Parallel.ForEach(Partitioner(tiles), options, t =>
        {
            compute(t);
            long d = Interlocked.Add(ref done, t.Size);
            progress?.Report(new ProgressInfo(d, total, stage, clock.Elapsed));
        });
    }

    /// <summary>
    /// Runs <paramref name="compute"/> on every tile with the progress sink, cancellation token and
    /// thread limit of <paramref name="options"/> (<see cref="ComputeOptions.MaxThreads"/>).
    /// </summary>
    /// <exception cref="OperationCanceledException">The options' token was cancelled; tiles not yet started are skipped.</exception>
    public static void Run(IReadOnlyList<Tile> tiles, Action<Tile> compute, string stage, ComputeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Run(tiles, compute, stage, options.Progress, options.CancellationToken, options.MaxThreads ?? -1);
    }

    // Hand tiles out one at a time, in order, so that threads stay balanced.
    private static System.Collections.Concurrent.OrderablePartitioner<Tile> Partitioner(IReadOnlyList<Tile> tiles) =>
        System.Collections.Concurrent.Partitioner.Create(tiles as IList<Tile> ?? tiles.ToList(), loadBalance: true) as System.Collections.Concurrent.OrderablePartitioner<Tile>
        ?? throw new InvalidOperationException();

    /// <summary>Copies the computed upper triangle of a square row-major matrix onto the lower one.</summary>
    public static void MirrorUpperToLower(Span<double> k, int n) => MirrorTile(k, n, new Tile(0, n, 0, n));

    /// <summary>
    /// Copies the entries of tile <paramref name="t"/> that lie above the diagonal of the square n×n
    /// row-major matrix to their transposed places, in 32×32 blocks (a strided column walk over a large
    /// matrix would miss the cache on every write). Tiles of one matrix may be mirrored concurrently.
    /// </summary>
    public static void MirrorTile(Span<double> m, int n, Tile t)
    {
        const int B = 32;
        for (int i0 = t.Row0; i0 < t.Row0 + t.Rows; i0 += B)
            for (int j0 = t.Col0; j0 < t.Col0 + t.Cols; j0 += B)
            {
                int i1 = Math.Min(i0 + B, t.Row0 + t.Rows), j1 = Math.Min(j0 + B, t.Col0 + t.Cols);
                if (j1 <= i0) continue;
                for (int i = i0; i < i1; i++)
                    for (int j = Math.Max(j0, i + 1); j < j1; j++)
                        m[j * n + i] = m[i * n + j];
            }
    }
}
