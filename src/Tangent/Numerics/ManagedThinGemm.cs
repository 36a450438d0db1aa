using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

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

    /// <remarks>
    /// Every entry is computed as <see cref="ManagedGemm"/> computes it, so a product gives the same bits whichever path
    /// takes it (a kernel computed in row chunks, whose last chunk is thin, equals the kernel computed at once): per depth
    /// block of <see cref="ManagedGemm.KC"/>, from the first, a sequential chain of fused multiply-adds from zero, acc; then
    /// C ← α·acc when β = 0 on the first block, else fma(α, acc, β′·C) with β′ = β on the first block and 1 after it.
    /// </remarks>
    public static void Gemm(Op transA, Op transB, int m, int n, int k, double alpha,
        double* a, int lda, double* b, int ldb, double beta, double* c, int ldc)
    {
        if (k <= 0 || alpha == 0)
        {
            ManagedGemm.ScaleC(m, n, beta, c, ldc);
            return;
        }
        var acc = new double[(long)m * n]; // one depth block of op(A)·op(B), row-major m×n
        fixed (double* pp = acc)
        {
            nint pa = (nint)a, pb = (nint)b, ptr = (nint)pp;
            for (int p0 = 0; p0 < k; p0 += ManagedGemm.KC)
            {
                int p1 = Math.Min(k, p0 + ManagedGemm.KC);
                acc.AsSpan().Clear();
                if (n <= MaxThin && n <= m) ThinColumns(transA, transB, m, n, p0, p1, pa, lda, pb, ldb, ptr);
                else ThinRows(transA, transB, m, n, p0, p1, pa, lda, pb, ldb, ptr);
                double b0 = p0 == 0 ? beta : 1.0;
                for (int i = 0; i < m; i++)
                {
                    var ci = new Span<double>(c + (long)i * ldc, n);
                    var ai = acc.AsSpan(i * n, n);
                    if (b0 == 0) TensorPrimitives.Multiply(ai, alpha, ci);
                    else for (int j = 0; j < n; j++) ci[j] = Math.FusedMultiplyAdd(alpha, ai[j], b0 * ci[j]);
                }
            }
        }
    }

    /// <summary>op(A)[i, q] for the stored A.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double At(Op t, nint x, int ld, int i, int q) => t == Op.None ? ((double*)x)[(long)i * ld + q] : ((double*)x)[(long)q * ld + i];

    /// <summary>o[r·stride] = Σ_q x[q]·y_r[q] for the count (≤ 4) vectors y_r = y + r·ldy, each a sequential fused chain from
    /// zero; four chains side by side (independent, so they overlap in the pipeline).</summary>
    private static void Dots(double* x, double* y, long ldy, int count, int k, double* o, long stride)
    {
        if (count == 4)
        {
            double* y1 = y + ldy, y2 = y1 + ldy, y3 = y2 + ldy;
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (int q = 0; q < k; q++)
            {
                double v = x[q];
                s0 = Math.FusedMultiplyAdd(v, y[q], s0);
                s1 = Math.FusedMultiplyAdd(v, y1[q], s1);
                s2 = Math.FusedMultiplyAdd(v, y2[q], s2);
                s3 = Math.FusedMultiplyAdd(v, y3[q], s3);
            }
            o[0] = s0; o[stride] = s1; o[2 * stride] = s2; o[3 * stride] = s3;
            return;
        }
        for (int r = 0; r < count; r++)
        {
            double* yr = y + r * ldy;
            double sum = 0;
            for (int q = 0; q < k; q++) sum = Math.FusedMultiplyAdd(x[q], yr[q], sum);
            o[r * stride] = sum;
        }
    }

    // n ≤ MaxThin: columns of C are long. acc[i, j] += Σ_{q in [p0, p1)} op(A)[i, q]·op(B)[q, j], one fused chain per entry.
    private static void ThinColumns(Op transA, Op transB, int m, int n, int p0, int p1, nint a, int lda, nint b, int ldb, nint acc)
    {
        int k = p1 - p0;
        // Column j of op(B) over the block, contiguous.
        var cols = new double[n * k];
        for (int j = 0; j < n; j++)
            for (int q = 0; q < k; q++) cols[j * k + q] = At(transB, b, ldb, q + p0, j);
        int chunks = (m + Chunk - 1) / Chunk;
        if (transA == Op.None)
        {
            // Rows of A contiguous: the chains of four rows side by side (independent, so they overlap in the pipeline).
            Parallel.For(0, chunks, ch =>
            {
                int i0 = ch * Chunk, i1 = Math.Min(m, i0 + Chunk);
                fixed (double* pc = cols)
                    for (int i = i0; i < i1; i += 4)
                    {
                        int rows = Math.Min(4, i1 - i);
                        for (int j = 0; j < n; j++)
                            Dots(pc + (long)j * k, (double*)a + (long)i * lda + p0, lda, rows, k, (double*)acc + (long)i * n + j, n);
                    }
            });
        }
        else
        {
            // A stored k×m: acc[:, j] += col_j[q]·A_stored[q, :], fused axpys along contiguous rows, split over i.
            Parallel.For(0, chunks, ch =>
            {
                int i0 = ch * Chunk, len = Math.Min(m, i0 + Chunk) - i0;
                var part = new double[n * len];
                for (int q = 0; q < k; q++)
                {
                    var aq = new ReadOnlySpan<double>((double*)a + (long)(q + p0) * lda + i0, len);
                    for (int j = 0; j < n; j++)
                    {
                        var dst = part.AsSpan(j * len, len);
                        TensorPrimitives.FusedMultiplyAdd(aq, cols[j * k + q], dst, dst);
                    }
                }
                for (int j = 0; j < n; j++)
                    for (int r = 0; r < len; r++) ((double*)acc)[(long)(i0 + r) * n + j] = part[j * len + r];
            });
        }
    }

    // m ≤ MaxThin: rows of C are long.
    private static void ThinRows(Op transA, Op transB, int m, int n, int p0, int p1, nint a, int lda, nint b, int ldb, nint acc)
    {
        int k = p1 - p0;
        // Row i of op(A) over the block, contiguous.
        var rows = new double[m * k];
        for (int i = 0; i < m; i++)
            for (int q = 0; q < k; q++) rows[i * k + q] = At(transA, a, lda, i, q + p0);
        int chunks = (n + Chunk - 1) / Chunk;
        if (transB == Op.Transpose)
        {
            // B stored n×k: acc[i, j] = row_i · B_stored[j, :], the chains of four columns side by side.
            Parallel.For(0, chunks, ch =>
            {
                int j0 = ch * Chunk, j1 = Math.Min(n, j0 + Chunk);
                fixed (double* pr = rows)
                    for (int j = j0; j < j1; j += 4)
                    {
                        int cols = Math.Min(4, j1 - j);
                        for (int i = 0; i < m; i++)
                            Dots(pr + (long)i * k, (double*)b + (long)j * ldb + p0, ldb, cols, k, (double*)acc + (long)i * n + j, 1);
                    }
            });
        }
        else
        {
            // B stored k×n: acc[i, :] = Σ_q row_i[q]·B[q, :], fused axpys along contiguous rows, split over j.
            Parallel.For(0, chunks, ch =>
            {
                int j0 = ch * Chunk, len = Math.Min(n, j0 + Chunk) - j0;
                for (int i = 0; i < m; i++)
                {
                    var dst = new Span<double>((double*)acc + (long)i * n + j0, len);
                    for (int q = 0; q < k; q++)
                    {
                        var bq = new ReadOnlySpan<double>((double*)b + (long)(q + p0) * ldb + j0, len);
                        TensorPrimitives.FusedMultiplyAdd(bq, rows[i * k + q], dst, dst);
                    }
                }
            });
        }
    }
}
