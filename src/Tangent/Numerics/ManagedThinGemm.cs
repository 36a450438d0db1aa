using System.Numerics.Tensors;

namespace Tangent.Numerics;

/// <summary>
/// GEMM when one side of C is thin (at most <see cref="MaxThin"/> rows or columns): matrix-vector
/// shaped products (DGEMV-like), which the packed register-tiled kernel would pad to a full tile.
/// They appear in every network with a scalar output (the readout layer and its backward pass).
/// Each output entry is one dot product or the sum of axpys along contiguous rows, in parallel over
/// the long side of C.
/// </summary>
internal static unsafe class ManagedThinGemm
{
    /// <summary>Largest thin side handled here.</summary>
    public const int MaxThin = 4;

    private const int Chunk = 256;

    /// <summary>True when C = op(A)·op(B) is thin enough for this path.</summary>
    public static bool Applies(int m, int n, int k) => (m <= MaxThin || n <= MaxThin) && (long)m * n * k >= 1;

    public static void Gemm(Op transA, Op transB, int m, int n, int k, double alpha,
        double* a, int lda, double* b, int ldb, double beta, double* c, int ldc)
    {
        var p = new double[(long)m * n]; // P = op(A)·op(B), row-major m×n
        if (k > 0)
        {
            fixed (double* pp = p)
            {
                nint pa = (nint)a, pb = (nint)b, ptr = (nint)pp;
                if (n <= MaxThin && n <= m) ThinColumns(transA, transB, m, n, k, pa, lda, pb, ldb, ptr);
                else ThinRows(transA, transB, m, n, k, pa, lda, pb, ldb, ptr);
            }
        }
        for (int i = 0; i < m; i++)
        {
            var ci = new Span<double>(c + (long)i * ldc, n);
            var pi = p.AsSpan(i * n, n);
            if (beta == 0) TensorPrimitives.Multiply(pi, alpha, ci);
            else for (int j = 0; j < n; j++) ci[j] = alpha * pi[j] + beta * ci[j];
        }
    }

    // n ≤ MaxThin: columns of C are long.
    private static void ThinColumns(Op transA, Op transB, int m, int n, int k, nint a, int lda, nint b, int ldb, nint p)
    {
        // Column j of op(B), contiguous (length k).
        var cols = new double[n][];
        for (int j = 0; j < n; j++)
        {
            cols[j] = new double[k];
            for (int q = 0; q < k; q++)
                cols[j][q] = transB == Op.None ? ((double*)b)[(long)q * ldb + j] : ((double*)b)[(long)j * ldb + q];
        }
        int chunks = (m + Chunk - 1) / Chunk;
        if (transA == Op.None)
        {
            // P[i, j] = A[i, :] · col_j, rows of A contiguous.
            Parallel.For(0, chunks, ch =>
            {
                int i0 = ch * Chunk, i1 = Math.Min(m, i0 + Chunk);
                for (int i = i0; i < i1; i++)
                {
                    var ai = new ReadOnlySpan<double>((double*)a + (long)i * lda, k);
                    for (int j = 0; j < n; j++) ((double*)p)[(long)i * n + j] = TensorPrimitives.Dot(ai, cols[j]);
                }
            });
        }
        else
        {
            // A stored k×m: P[:, j] = Σ_q col_j[q] · A_stored[q, :], axpys along contiguous rows, split over i.
            Parallel.For(0, chunks, ch =>
            {
                int i0 = ch * Chunk, len = Math.Min(m, i0 + Chunk) - i0;
                var acc = new double[n * len];
                for (int q = 0; q < k; q++)
                {
                    var aq = new ReadOnlySpan<double>((double*)a + (long)q * lda + i0, len);
                    for (int j = 0; j < n; j++)
                    {
                        double s = cols[j][q];
                        if (s == 0) continue;
                        var dst = acc.AsSpan(j * len, len);
                        TensorPrimitives.MultiplyAdd(aq, s, dst, dst);
                    }
                }
                for (int j = 0; j < n; j++)
                    for (int r = 0; r < len; r++) ((double*)p)[(long)(i0 + r) * n + j] = acc[j * len + r];
            });
        }
    }

    // m ≤ MaxThin: rows of C are long.
    private static void ThinRows(Op transA, Op transB, int m, int n, int k, nint a, int lda, nint b, int ldb, nint p)
    {
        // Row i of op(A), contiguous (length k).
        var rows = new double[m][];
        for (int i = 0; i < m; i++)
        {
            rows[i] = new double[k];
            for (int q = 0; q < k; q++)
                rows[i][q] = transA == Op.None ? ((double*)a)[(long)i * lda + q] : ((double*)a)[(long)q * lda + i];
        }
        int chunks = (n + Chunk - 1) / Chunk;
        if (transB == Op.Transpose)
        {
            // B stored n×k: P[i, j] = row_i · B_stored[j, :].
            Parallel.For(0, chunks, ch =>
            {
                int j0 = ch * Chunk, j1 = Math.Min(n, j0 + Chunk);
                for (int j = j0; j < j1; j++)
                {
                    var bj = new ReadOnlySpan<double>((double*)b + (long)j * ldb, k);
                    for (int i = 0; i < m; i++) ((double*)p)[(long)i * n + j] = TensorPrimitives.Dot(rows[i], bj);
                }
            });
        }
        else
        {
            // B stored k×n: P[i, :] = Σ_q row_i[q] · B[q, :], axpys along contiguous rows, split over j.
            Parallel.For(0, chunks, ch =>
            {
                int j0 = ch * Chunk, len = Math.Min(n, j0 + Chunk) - j0;
                for (int i = 0; i < m; i++)
                {
                    var dst = new Span<double>((double*)p + (long)i * n + j0, len);
                    for (int q = 0; q < k; q++)
                    {
                        double s = rows[i][q];
                        if (s == 0) continue;
                        var bq = new ReadOnlySpan<double>((double*)b + (long)q * ldb + j0, len);
                        TensorPrimitives.MultiplyAdd(bq, s, dst, dst);
                    }
                }
            });
        }
    }
}
