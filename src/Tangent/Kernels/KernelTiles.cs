using System.Diagnostics;
using System.Runtime.CompilerServices;
using Tangent.Engine;
using Tangent.Numerics;

namespace Tangent.Kernels;

/// <summary>
/// Kernel matrices in pieces, so that memory holds about half a train-train kernel and never a whole
/// test-train kernel (docs/SOLVERS.md, "Memory of the exact solve").
/// </summary>
public static class KernelTiles
{
    /// <summary>Test rows per block of K(X*, X) when the options set no memory budget: blocks of at most this many bytes.</summary>
    public const long DefaultBlockBytes = 256L << 20;

    /// <summary>
    /// K(X, X) as <see cref="SymmetricTiles"/>: each tile of the upper block triangle computed by
    /// <see cref="IKernel.Compute(Matrix, Matrix?, ComputeOptions)"/> on the two row blocks (the diagonal
    /// tiles as symmetric blocks), n²/2 values in all. Progress counts kernel entries.
    /// </summary>
    /// <exception cref="InsufficientMemoryException">The tiles do not fit the memory budget or the memory available.</exception>
    /// <exception cref="OperationCanceledException">The options' token was cancelled.</exception>
    public static SymmetricTiles Compute(IKernel kernel, Matrix x, ComputeOptions options, int tileSize = SymmetricTiles.DefaultTileSize)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(options);
        var tiles = new SymmetricTiles(x.Rows, tileSize);
        long bytes = SymmetricTiles.BytesFor(x.Rows, tiles.TileSize) + 8L * tiles.TileSize * tiles.TileSize;
        options.RequireMemory(bytes, $"The {kernel.Describe()} kernel matrix {x.Rows}×{x.Rows} (upper half, in tiles)",
            "use an iterative solver (--solver cg, nystrom or eigenpro), or fewer training rows");
        var blocks = new Matrix[tiles.TileCount];
        for (int i = 0; i < blocks.Length; i++) blocks[i] = x.SliceRows(tiles.Start(i), tiles.Length(i));
        long total = (long)x.Rows * (x.Rows + 1) / 2, done = 0;
        var clock = Stopwatch.StartNew();
        var last = new StrongBox<long>(-1);
        var garbage = new GarbageBudget(8L * tiles.TileSize * tiles.TileSize);
        for (int i = 0; i < tiles.TileCount; i++)
            for (int j = i; j < tiles.TileCount; j++)
            {
                options.CancellationToken.ThrowIfCancellationRequested();
                long piece = i == j ? (long)tiles.Length(i) * (tiles.Length(i) + 1) / 2 : (long)tiles.Length(i) * tiles.Length(j);
                var inner = options.Progress is { } p ? new Offset(p, done, piece, total, clock, last) : null;
                var k = kernel.Compute(blocks[i], i == j ? null : blocks[j], options with { Progress = inner });
                tiles.SetTile(i, j, k.Data);
                garbage.Collect();
                done += piece;
                inner?.Report(new ProgressInfo(1, 1, "kernel", clock.Elapsed));
            }
        return tiles;
    }

    /// <summary>The number of test rows per block of K(X*, X) for <paramref name="trainRows"/> training rows:
    /// a block takes at most an eighth of the memory budget, or <see cref="DefaultBlockBytes"/> without one.</summary>
    public static int TestBlockRows(int trainRows, ComputeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        long bytes = options.MemoryBudget is long budget ? budget / 8 : DefaultBlockBytes;
        return (int)Math.Clamp(bytes / (8L * Math.Max(trainRows, 1)), 1, int.MaxValue);
    }

    /// <summary>
    /// K(X*, X)·A computed in blocks of test rows (<see cref="TestBlockRows"/>), so that the n*×n test-train
    /// kernel is never held whole: the predictions of a kernel model with coefficients A (n×k).
    /// </summary>
    /// <param name="kernel">The kernel.</param>
    /// <param name="test">The test inputs X* (n*×d).</param>
    /// <param name="train">The training inputs X (n×d).</param>
    /// <param name="coefficients">A (n×k).</param>
    /// <param name="options">How to compute.</param>
    /// <param name="blockRows">Test rows per block; 0 chooses <see cref="TestBlockRows"/>.</param>
    /// <exception cref="OperationCanceledException">The options' token was cancelled.</exception>
    public static Matrix MultiplyTestTrain(IKernel kernel, Matrix test, Matrix train, Matrix coefficients, ComputeOptions options, int blockRows = 0)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(coefficients);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(blockRows);
        int rows = blockRows > 0 ? blockRows : TestBlockRows(train.Rows, options);
        if (rows >= test.Rows)
            return LinearAlgebra.Multiply(kernel.Compute(test, train, options), coefficients, provider: options.Provider);
        var result = new Matrix(test.Rows, coefficients.Cols);
        var garbage = new GarbageBudget(8L * rows * train.Rows);
        long total = (long)test.Rows * train.Rows;
        var clock = Stopwatch.StartNew();
        var last = new StrongBox<long>(-1);
        for (int start = 0; start < test.Rows; start += rows)
        {
            options.CancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(rows, test.Rows - start);
            var inner = options.Progress is { } p ? new Offset(p, (long)start * train.Rows, (long)count * train.Rows, total, clock, last) : null;
            var block = kernel.Compute(test.SliceRows(start, count), train, options with { Progress = inner });
            var part = LinearAlgebra.Multiply(block, coefficients, provider: options.Provider);
            part.Data.CopyTo(result.Data.AsSpan(start * coefficients.Cols));
            garbage.Collect();
        }
        if (options.Progress is { } done && Volatile.Read(ref last.Value) < total) done.Report(new ProgressInfo(total, total, "kernel", clock.Elapsed));
        return result;
    }

    /// <summary>
    /// Collects the garbage of finished pieces once they have allocated two pieces' worth (at least 512 MiB). The .NET
    /// collector grows its full-collection budget with what survives, so while tiles totalling many GB stay alive the
    /// temporaries of their computation would pile up to about as much again (measured: 14 GB resident at half of a
    /// 60,000-row kernel whose tiles held 7 GB); a full blocking collection here costs little next to a tile (its
    /// survivors are arrays of numbers, with nothing to trace) and keeps the peak at the tiles plus a few pieces.
    /// </summary>
    private sealed class GarbageBudget(long pieceBytes)
    {
        private readonly long _threshold = Math.Max(2 * pieceBytes, 512L << 20);
        private long _mark = GC.GetTotalAllocatedBytes();

        public void Collect()
        {
            long now = GC.GetTotalAllocatedBytes();
            if (now - _mark < _threshold) return;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: false);
            _mark = GC.GetTotalAllocatedBytes();
        }
    }

    /// <summary>Reports a piece's progress as part of the whole: its fraction of <c>piece</c> entries after <c>before</c>
    /// of <c>total</c>, under the whole's stage name ("kernel") so that a display sees one stage and not one per tile, and
    /// never below what was reported before (the piece's own reports may come from several threads).</summary>
    private sealed class Offset(IProgress<ProgressInfo> outer, long before, long piece, long total, Stopwatch clock, StrongBox<long> last) : IProgress<ProgressInfo>
    {
        public void Report(ProgressInfo value)
        {
            long done = Math.Min(before + (long)(value.Fraction * piece), total);
            long seen = Volatile.Read(ref last.Value);
            while (done > seen)
            {
                long was = Interlocked.CompareExchange(ref last.Value, done, seen);
                if (was == seen)
                {
                    outer.Report(new ProgressInfo(done, total, "kernel", clock.Elapsed));
                    return;
                }
                seen = was;
            }
        }
    }
}
