using System.Numerics.Tensors;
using Tangent.Engine;
using Tangent.Numerics;

namespace Tangent.Kernels;

/// <summary>
/// Products with a cross kernel K = K(X, C) (n×m, n large) that is never held: K is computed in chunks of a
/// few rows, each into a buffer of the thread that uses it, and consumed while it is in cache —
/// Kᵀ·W in one pass, and Kᵀ·(K·V) in one pass (each chunk's K·V rows are finished before its Kᵀ
/// contribution is added). This is the inner loop of Nyström regression with streamed blocks
/// (docs/SOLVERS.md): one pass per CG iteration over n·m kernel entries, no allocation per chunk.
/// </summary>
/// <remarks>
/// The rows are split into a fixed number of contiguous segments, each summing into its own accumulator,
/// and the accumulators are added in segment order: the result does not depend on the number of threads
/// or on their scheduling (bit for bit). A classical kernel computes its chunks on the calling thread
/// (<see cref="ClassicalKernel.ComputeRowsInto"/>); any other kernel computes each chunk by its own
/// <see cref="IKernel.Compute(Matrix, Matrix?, ComputeOptions)"/> on one thread.
/// </remarks>
internal sealed class CrossKernelStream
{
    private const int MaxSegments = 32;
    private const long AccumulatorBytes = 256L << 20;

    private readonly IKernel _kernel;
    private readonly Matrix _x;
    private readonly Matrix _c;
    private readonly ComputeOptions _options;
    private readonly double[]? _sqX;
    private readonly double[]? _sqC;

    /// <param name="kernel">The kernel.</param>
    /// <param name="x">n×d rows (checked finite by the caller).</param>
    /// <param name="c">m×d columns (the centres).</param>
    /// <param name="chunkRows">Rows per chunk; null for about 2 MB per chunk (at least 8 rows).</param>
    /// <param name="options">Threads, cancellation and the provider of non-classical kernels.</param>
    public CrossKernelStream(IKernel kernel, Matrix x, Matrix c, int? chunkRows, ComputeOptions options)
    {
        _kernel = kernel;
        _x = x;
        _c = c;
        _options = options with { Progress = null };
        ChunkRows = chunkRows ?? (int)Math.Clamp((1L << 18) / Math.Max(c.Rows, 1), 8, Math.Max(x.Rows, 1));
        if (kernel is ClassicalKernel { Kind: KernelKind.Gaussian or KernelKind.Laplace } ck)
        {
            _sqX = ClassicalKernel.RowSquaredNorms(x, _options.ParallelOptions);
            _sqC = ClassicalKernel.RowSquaredNorms(c, _options.ParallelOptions);
            ck.RequireFiniteNorms(_sqX, _sqC, x, c);
        }
    }

    /// <summary>Rows per chunk.</summary>
    public int ChunkRows { get; }

    /// <summary>Kᵀ·W (m×k) for W n×k.</summary>
    public Matrix TransposeTimes(Matrix w) => Pass(w, null);

    /// <summary>Kᵀ·(K·V) (m×k) for V m×k.</summary>
    public Matrix GramTimes(Matrix v) => Pass(null, v);

    private Matrix Pass(Matrix? w, Matrix? v)
    {
        int n = _x.Rows, m = _c.Rows, k = (w ?? v)!.Cols;
        var token = _options.CancellationToken;
        int chunks = (n + ChunkRows - 1) / ChunkRows;
        int segments = (int)Math.Clamp(Math.Min(MaxSegments, AccumulatorBytes / Math.Max(8L * m * k, 1)), 1, Math.Max(chunks, 1));
        // Column-major copies (k×m) make every product a contiguous dot or axpy over a kernel row.
        var vT = v?.Transpose();
        var acc = new double[segments][];
        try
        {
            // At most one segment per core: segments run for seconds, and the pool's thread injection would
            // otherwise put several on a core, each with its chunk buffer competing for the cache.
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.Threads, CancellationToken = token };
            Parallel.For(0, segments, parallel,
                () => new double[(long)ChunkRows * m],
                (s, _, buffer) =>
                {
                    var sum = acc[s] = new double[(long)k * m];
                    int first = (int)((long)chunks * s / segments), last = (int)((long)chunks * (s + 1) / segments);
                    for (int q = first; q < last; q++)
                    {
                        token.ThrowIfCancellationRequested();
                        int row0 = q * ChunkRows, rows = Math.Min(ChunkRows, n - row0);
                        var block = buffer.AsSpan(0, rows * m);
                        Compute(row0, rows, block);
                        for (int r = 0; r < rows; r++)
                        {
                            var kr = block.Slice(r * m, m);
                            for (int j = 0; j < k; j++)
                            {
                                double coef = vT is null ? w![row0 + r, j] : TensorPrimitives.Dot<double>(kr, vT.Row(j));
                                if (coef != 0) TensorPrimitives.MultiplyAdd<double>(kr, coef, sum.AsSpan(j * m, m), sum.AsSpan(j * m, m));
                            }
                        }
                    }
                    return buffer;
                },
                _ => { });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // A kernel's own exception (an overflow, a cancellation) rather than the loop's wrapper.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            throw;
        }
        var result = new Matrix(m, k);
        for (int s = 0; s < segments; s++)
            for (int j = 0; j < k; j++)
                for (int i = 0; i < m; i++) result.Data[i * k + j] += acc[s][j * m + i];
        return result;
    }

    private void Compute(int row0, int rows, Span<double> block)
    {
        if (_kernel is ClassicalKernel ck)
        {
            ck.ComputeRowsInto(_x, _sqX, row0, rows, _c, _sqC, block);
            return;
        }
        var kb = _kernel.Compute(_x.SliceRows(row0, rows), _c, _options with { MaxThreads = 1 });
        kb.Data.AsSpan().CopyTo(block);
    }
}
