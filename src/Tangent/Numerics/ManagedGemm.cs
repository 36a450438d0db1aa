using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tangent.Numerics;

/// <summary>
/// Blocked, packed matrix multiplication in the Goto/BLIS style (Goto &amp; van de Geijn 2008,
/// "Anatomy of high-performance matrix multiplication"; Van Zee &amp; van de Geijn 2015, BLIS):
/// op(B) is packed into kc×nc panels of NR columns, op(A) into mc×kc blocks of MR rows, and a
/// register-blocked micro-kernel keeps an MR×NR tile of C in vector registers while it streams
/// the packed panels. Row-major storage throughout.
/// </summary>
/// <remarks>
/// Micro-kernels: 8×24 with <see cref="Vector512{T}"/> (24 accumulators) when AVX-512 is
/// accelerated, else 6×8 with <see cref="Vector256{T}"/> (12 accumulators, the BLIS Haswell
/// shape). Ragged edges are handled by zero-padding the packed panels and writing only the valid
/// part of edge tiles. Work is split over (row block × column slice) items run by
/// <see cref="Parallel.For(int, int, Action{int})"/>.
/// </remarks>
internal static unsafe class ManagedGemm
{
    internal static readonly bool Use512 = Vector512.IsHardwareAccelerated;

    /// <summary>Rows of the register tile.</summary>
    internal static readonly int MR = Use512 ? 8 : 6;

    /// <summary>Columns of the register tile.</summary>
    internal static readonly int NR = Use512 ? 24 : 8;

    /// <summary>Depth of a packed block (the k extent kept in cache).</summary>
    internal const int KC = 256;

    /// <summary>Rows of a packed A block (a multiple of both MR values: 8 and 6).</summary>
    internal const int MC = 96;

    /// <summary>Columns of a packed B block (a multiple of both NR values: 24 and 8).</summary>
    internal const int NC = 3072;

    /// <summary>Below this many multiply-adds the work runs on the calling thread.</summary>
    private const long ParallelThreshold = 1L << 18;

    /// <summary>Which part of C is wanted.</summary>
    internal enum Part
    {
        /// <summary>All of C.</summary>
        Full,
        /// <summary>Only entries with column ≤ row (m must equal n). Register tiles lying wholly
        /// above the diagonal are skipped; tiles crossing it also write some upper entries.</summary>
        Lower,
    }

    /// <summary>C ← α·op(A)·op(B) + β·C on raw pointers (DGEMM semantics; β = 0 never reads C).</summary>
    public static void Gemm(Op ta, Op tb, int m, int n, int k, double alpha,
        double* a, long lda, double* b, long ldb, double beta, double* c, long ldc,
        Part part = Part.Full, bool allowParallel = true)
    {
        if (m <= 0 || n <= 0) return;
        if (k <= 0 || alpha == 0)
        {
            ScaleC(m, n, beta, c, ldc);
            return;
        }
        int mr = MR, nr = NR;
        bool parallel = allowParallel && Environment.ProcessorCount > 1 && (long)m * n * k >= ParallelThreshold;
        int bufB = (int)(Math.Min(k, KC) * (long)RoundUp(Math.Min(n, NC), nr)) + 8;
        double[] bArr = ArrayPool<double>.Shared.Rent(bufB);
        try
        {
            fixed (double* bRaw = bArr)
            {
                double* bp = Align64(bRaw);
                for (int jc = 0; jc < n; jc += NC)
                {
                    int nc = Math.Min(NC, n - jc);
                    // Lower part: rows above jc have nothing on or below the diagonal in this column block.
                    int icStart = part == Part.Lower ? jc / MC * MC : 0;
                    if (icStart >= m) break;
                    for (int pc = 0; pc < k; pc += KC)
                    {
                        int kc = Math.Min(KC, k - pc);
                        double betaEff = pc == 0 ? beta : 1.0;
                        int panels = (nc + nr - 1) / nr;
                        var job = new Job
                        {
                            Ta = ta, M = m, Kc = kc, Pc = pc, Jc = jc, Nc = nc, A = a, Lda = lda,
                            Bp = bp, C = c, Ldc = ldc, Alpha = alpha, Beta = betaEff, Part = part, IcStart = icStart,
                        };
                        // Pack op(B)[pc:pc+kc, jc:jc+nc].
                        if (parallel && panels > 1)
                            Parallel.For(0, panels, q => PackBPanel(tb, b, ldb, pc, kc, jc + q * nr, Math.Min(nr, nc - q * nr), bp + (long)q * nr * kc, nr));
                        else
                            for (int q = 0; q < panels; q++)
                                PackBPanel(tb, b, ldb, pc, kc, jc + q * nr, Math.Min(nr, nc - q * nr), bp + (long)q * nr * kc, nr);

                        int rowBlocks = (m - icStart + MC - 1) / MC;
                        int slices = 1;
                        if (parallel)
                        {
                            int want = 4 * Environment.ProcessorCount;
                            if (rowBlocks < want) slices = Math.Min(panels, (want + rowBlocks - 1) / rowBlocks);
                        }
                        job.Slices = slices;
                        job.PanelsPerSlice = (panels + slices - 1) / slices;
                        int items = rowBlocks * slices;
                        if (parallel && items > 1) Parallel.For(0, items, job.Run);
                        else for (int t = 0; t < items; t++) job.Run(t);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(bArr);
        }
    }

    private sealed class Job
    {
        public Op Ta;
        public int M, Kc, Pc, Jc, Nc, IcStart, Slices, PanelsPerSlice;
        public double* A, Bp, C;
        public long Lda, Ldc;
        public double Alpha, Beta;
        public Part Part;

        public void Run(int item)
        {
            int mr = MR, nr = NR;
            int block = item / Slices, slice = item % Slices;
            int ic = IcStart + block * MC;
            int mc = Math.Min(MC, M - ic);
            int panels = (Nc + nr - 1) / nr;
            int q0 = slice * PanelsPerSlice, q1 = Math.Min(panels, q0 + PanelsPerSlice);
            if (q0 >= q1) return;
            int kc = Kc;
            double[] aArr = ArrayPool<double>.Shared.Rent(MC * KC + 8);
            try
            {
                fixed (double* aRaw = aArr)
                {
                    double* ap = Align64(aRaw);
                    int rowPanels = (mc + mr - 1) / mr;
                    for (int r = 0; r < rowPanels; r++)
                        PackAPanel(Ta, A, Lda, ic + r * mr, Math.Min(mr, mc - r * mr), Pc, kc, ap + (long)r * mr * kc, mr);
                    var tile = stackalloc double[8 * 24];
                    for (int q = q0; q < q1; q++)
                    {
                        int j0 = Jc + q * nr, nv = Math.Min(nr, Nc - q * nr);
                        double* bpanel = Bp + (long)q * nr * kc;
                        for (int r = 0; r < rowPanels; r++)
                        {
                            int i0 = ic + r * mr, mv = Math.Min(mr, mc - r * mr);
                            if (Part == Part.Lower && j0 > i0 + mv - 1) continue;
                            double* apanel = ap + (long)r * mr * kc;
                            double* ct = C + i0 * Ldc + j0;
                            if (mv == mr && nv == nr)
                                Kernel(kc, apanel, bpanel, ct, Ldc, Alpha, Beta);
                            else
                            {
                                Kernel(kc, apanel, bpanel, tile, nr, 1.0, 0.0);
                                for (int i = 0; i < mv; i++)
                                {
                                    double* crow = ct + i * Ldc;
                                    double* trow = tile + i * nr;
                                    if (Beta == 0) for (int j = 0; j < nv; j++) crow[j] = Alpha * trow[j];
                                    else for (int j = 0; j < nv; j++) crow[j] = Alpha * trow[j] + Beta * crow[j];
                                }
                            }
                        }
                    }
                }
            }
            finally
            {
                ArrayPool<double>.Shared.Return(aArr);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Kernel(int kc, double* a, double* b, double* c, long ldc, double alpha, double beta)
    {
        if (Use512) Kernel8x24(kc, a, b, c, ldc, alpha, beta);
        else Kernel6x8(kc, a, b, c, ldc, alpha, beta);
    }

    /// <summary>Packs op(A)[i0:i0+rows, p0:p0+kc] as one MR-row micro-panel (p-major, zero-padded rows).</summary>
    private static void PackAPanel(Op ta, double* a, long lda, int i0, int rows, int p0, int kc, double* dst, int mr)
    {
        if (ta == Op.None)
        {
            for (int r = 0; r < rows; r++)
            {
                double* src = a + (i0 + r) * lda + p0;
                double* d = dst + r;
                for (int p = 0; p < kc; p++) d[p * mr] = src[p];
            }
        }
        else
        {
            for (int p = 0; p < kc; p++)
            {
                double* src = a + (p0 + p) * lda + i0;
                double* d = dst + p * mr;
                for (int r = 0; r < rows; r++) d[r] = src[r];
            }
        }
        if (rows < mr)
            for (int p = 0; p < kc; p++)
                for (int r = rows; r < mr; r++) dst[p * mr + r] = 0;
    }

    /// <summary>Packs op(B)[p0:p0+kc, j0:j0+cols] as one NR-column micro-panel (p-major, zero-padded columns).</summary>
    private static void PackBPanel(Op tb, double* b, long ldb, int p0, int kc, int j0, int cols, double* dst, int nr)
    {
        if (tb == Op.None)
        {
            for (int p = 0; p < kc; p++)
            {
                double* src = b + (p0 + p) * ldb + j0;
                double* d = dst + p * nr;
                if (cols == nr) new ReadOnlySpan<double>(src, nr).CopyTo(new Span<double>(d, nr));
                else
                {
                    for (int j = 0; j < cols; j++) d[j] = src[j];
                    for (int j = cols; j < nr; j++) d[j] = 0;
                }
            }
        }
        else
        {
            for (int j = 0; j < cols; j++)
            {
                double* src = b + (j0 + j) * ldb + p0;
                double* d = dst + j;
                for (int p = 0; p < kc; p++) d[p * nr] = src[p];
            }
            for (int j = cols; j < nr; j++)
                for (int p = 0; p < kc; p++) dst[p * nr + j] = 0;
        }
    }

    /// <summary>The 8×24 AVX-512 micro-kernel: C[0:8, 0:24] ← α·Σ_p a[p]·b[p] + β·C (β = 0: C not read).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel8x24(int kc, double* a, double* b, double* c, long ldc, double alpha, double beta)
    {
        Vector512<double> c00 = default, c01 = default, c02 = default, c10 = default, c11 = default, c12 = default;
        Vector512<double> c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default;
        Vector512<double> c40 = default, c41 = default, c42 = default, c50 = default, c51 = default, c52 = default;
        Vector512<double> c60 = default, c61 = default, c62 = default, c70 = default, c71 = default, c72 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 8);
            var b2 = Vector512.Load(b + 16);
            var x = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01); c02 = Vector512.FusedMultiplyAdd(x, b2, c02);
            x = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11); c12 = Vector512.FusedMultiplyAdd(x, b2, c12);
            x = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21); c22 = Vector512.FusedMultiplyAdd(x, b2, c22);
            x = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31); c32 = Vector512.FusedMultiplyAdd(x, b2, c32);
            x = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41); c42 = Vector512.FusedMultiplyAdd(x, b2, c42);
            x = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51); c52 = Vector512.FusedMultiplyAdd(x, b2, c52);
            x = Vector512.Create(a[6]);
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61); c62 = Vector512.FusedMultiplyAdd(x, b2, c62);
            x = Vector512.Create(a[7]);
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71); c72 = Vector512.FusedMultiplyAdd(x, b2, c72);
            a += 8;
            b += 24;
        }
        Store3(c, alpha, beta, c00, c01, c02); c += ldc;
        Store3(c, alpha, beta, c10, c11, c12); c += ldc;
        Store3(c, alpha, beta, c20, c21, c22); c += ldc;
        Store3(c, alpha, beta, c30, c31, c32); c += ldc;
        Store3(c, alpha, beta, c40, c41, c42); c += ldc;
        Store3(c, alpha, beta, c50, c51, c52); c += ldc;
        Store3(c, alpha, beta, c60, c61, c62); c += ldc;
        Store3(c, alpha, beta, c70, c71, c72);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store3(double* c, double alpha, double beta, Vector512<double> v0, Vector512<double> v1, Vector512<double> v2)
    {
        var va = Vector512.Create(alpha);
        if (beta == 0)
        {
            (va * v0).Store(c);
            (va * v1).Store(c + 8);
            (va * v2).Store(c + 16);
        }
        else
        {
            var vb = Vector512.Create(beta);
            Vector512.FusedMultiplyAdd(va, v0, vb * Vector512.Load(c)).Store(c);
            Vector512.FusedMultiplyAdd(va, v1, vb * Vector512.Load(c + 8)).Store(c + 8);
            Vector512.FusedMultiplyAdd(va, v2, vb * Vector512.Load(c + 16)).Store(c + 16);
        }
    }

    /// <summary>The 6×8 AVX2 micro-kernel (BLIS Haswell shape), used without AVX-512.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x8(int kc, double* a, double* b, double* c, long ldc, double alpha, double beta)
    {
        Vector256<double> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<double> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 4);
            var x = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[1]);
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[2]);
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[3]);
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[4]);
            c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[5]);
            c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
            a += 6;
            b += 8;
        }
        Store2(c, alpha, beta, c00, c01); c += ldc;
        Store2(c, alpha, beta, c10, c11); c += ldc;
        Store2(c, alpha, beta, c20, c21); c += ldc;
        Store2(c, alpha, beta, c30, c31); c += ldc;
        Store2(c, alpha, beta, c40, c41); c += ldc;
        Store2(c, alpha, beta, c50, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store2(double* c, double alpha, double beta, Vector256<double> v0, Vector256<double> v1)
    {
        var va = Vector256.Create(alpha);
        if (beta == 0)
        {
            (va * v0).Store(c);
            (va * v1).Store(c + 4);
        }
        else
        {
            var vb = Vector256.Create(beta);
            Vector256.FusedMultiplyAdd(va, v0, vb * Vector256.Load(c)).Store(c);
            Vector256.FusedMultiplyAdd(va, v1, vb * Vector256.Load(c + 4)).Store(c + 4);
        }
    }

    /// <summary>C ← β·C (β = 0 clears without reading, so NaN in C does not survive).</summary>
    internal static void ScaleC(int m, int n, double beta, double* c, long ldc)
    {
        if (beta == 1) return;
        for (int i = 0; i < m; i++)
        {
            var row = new Span<double>(c + i * ldc, n);
            if (beta == 0) row.Clear();
            else for (int j = 0; j < n; j++) row[j] *= beta;
        }
    }

    private static int RoundUp(int x, int to) => (x + to - 1) / to * to;

    private static double* Align64(double* p) => (double*)(((nint)p + 63) & ~(nint)63);
}
