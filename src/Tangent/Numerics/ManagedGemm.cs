using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tangent.Numerics;

/// <summary>
/// Blocked, packed matrix multiplication in the Goto/BLIS style (Goto &amp; van de Geijn 2008,
/// "Anatomy of high-performance matrix multiplication"; Van Zee &amp; van de Geijn 2015, BLIS):
/// op(B) is packed into panels of NR columns, op(A) into mc×kc blocks of MR rows, and a
/// register-blocked micro-kernel keeps an MR×NR tile of C in vector registers while it streams
/// the packed panels. Row-major storage throughout.
/// </summary>
/// <remarks>
/// <para>Micro-kernels: 8×24 with <see cref="Vector512{T}"/> (24 accumulators) when AVX-512 is
/// accelerated, else 6×8 with <see cref="Vector256{T}"/> (12 accumulators, the BLIS Haswell/Zen
/// shape). The choice is made per call (<see cref="GemmKernel"/>; the default can be forced with the
/// environment variable <c>TANGENT_GEMM_KERNEL</c> = <c>256</c> or <c>512</c>, read once at start),
/// so both kernels are tested on any machine: <see cref="Vector512{T}"/> runs, slowly, without AVX-512.</para>
/// <para>Loop order: column slabs of nc ≤ <see cref="NCMax"/> columns (jc, balanced so none is thin); in each, depth
/// chunks of kd rows (a multiple of <see cref="KC"/>, as many as fit <see cref="SlabBytes"/>): op(B)[pd:pd+kd, jc:jc+nc]
/// is packed by all threads, then the row blocks (ic, at most <see cref="MC"/> rows of whole MR-row panels, spread
/// evenly and as many as a multiple of the thread count so the threads finish together) run in parallel, each
/// packing its A block per kc step (4×4 register transposes for untransposed A) and walking the chunk's depth while
/// its C rows are still in cache; inside, B micro-panels (jr, L1) outside A micro-panels (ir, L2). Two parallel regions
/// per chunk, none per kc step. The 6×8 kernel prefetches its C tile and is unrolled by four. Ragged edges are
/// handled by zero-padding the packed panels and writing only the valid part of edge tiles.</para>
/// </remarks>
internal static unsafe class ManagedGemm
{
    /// <summary>Which micro-kernel a call uses.</summary>
    internal enum GemmKernel
    {
        /// <summary><see cref="DefaultKernel"/>: Vector512 where AVX-512 is accelerated, unless
        /// <c>TANGENT_GEMM_KERNEL</c> says otherwise.</summary>
        Auto,
        /// <summary>The 6×8 <see cref="Vector256{T}"/> kernel.</summary>
        Vector256,
        /// <summary>The 8×24 <see cref="Vector512{T}"/> kernel (emulated, slowly, without AVX-512).</summary>
        Vector512,
    }

    /// <summary>The kernel <see cref="GemmKernel.Auto"/> resolves to: <c>TANGENT_GEMM_KERNEL</c> = 256 or 512
    /// when set (read once, at start), else Vector512 exactly when AVX-512 is accelerated.</summary>
    internal static readonly GemmKernel DefaultKernel = ReadDefaultKernel();

    /// <summary>Whether the default kernel is the Vector512 one.</summary>
    internal static bool Use512 => DefaultKernel == GemmKernel.Vector512;

    /// <summary>Rows of the default kernel's register tile.</summary>
    internal static int MR => Use512 ? 8 : 6;

    /// <summary>Columns of the default kernel's register tile.</summary>
    internal static int NR => Use512 ? 24 : 8;

    /// <summary>Depth of a packed block (the k extent kept in cache): a 6×8 kernel's B micro-panel is
    /// kc·8·8 B = 16 KiB, half of Zen's 32 KiB L1d.</summary>
    internal const int KC = 256;

    /// <summary>Rows of a packed A block (a multiple of both MR values: 8 and 6); 96·256·8 B = 192 KiB
    /// stays in a 512 KiB L2 beside the C block's rows in use.</summary>
    internal const int MC = 96;

    /// <summary>Bytes of packed op(B) per slab (kd deep × nc columns), well inside a 32 MiB L3 shared with other
    /// tenants; 4 MiB measured a little ahead of 8 and 16 MiB at n = 2048 (3 of 3 alternating pairs, under load).</summary>
    internal const long SlabBytes = 4L << 20;

    /// <summary>Most columns of a packed op(B) slab: A is packed once per slab (so ≤ 2048 columns are never split
    /// thinner), and a slab is <see cref="SlabBytes"/>/(8·nc) deep, rounded down to a multiple of <see cref="KC"/>.</summary>
    internal const int NCMax = 2048;

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

    private static GemmKernel ReadDefaultKernel() => ParseKernel(Environment.GetEnvironmentVariable("TANGENT_GEMM_KERNEL"), Vector512.IsHardwareAccelerated);

    /// <summary>The kernel a <c>TANGENT_GEMM_KERNEL</c> value asks for: "256" or "512", else (unset or anything
    /// else) Vector512 exactly when <paramref name="avx512"/>.</summary>
    internal static GemmKernel ParseKernel(string? value, bool avx512) => value?.Trim() switch
    {
        "256" => GemmKernel.Vector256,
        "512" => GemmKernel.Vector512,
        _ => avx512 ? GemmKernel.Vector512 : GemmKernel.Vector256,
    };

    /// <summary>C ← α·op(A)·op(B) + β·C on raw pointers (DGEMM semantics; β = 0 never reads C).</summary>
    /// <remarks>kernel: the micro-kernel (<see cref="GemmKernel.Auto"/> is <see cref="DefaultKernel"/>); slabColumns:
    /// the most columns of a packed op(B) slab (0: <see cref="NCMax"/>); slabBytes: the bytes of a slab, which set its
    /// depth (0: <see cref="SlabBytes"/>). Tests pass small slabs to exercise several slabs and depth chunks.</remarks>
    public static void Gemm(Op ta, Op tb, int m, int n, int k, double alpha,
        double* a, long lda, double* b, long ldb, double beta, double* c, long ldc,
        Part part = Part.Full, bool allowParallel = true, GemmKernel kernel = GemmKernel.Auto,
        int slabColumns = 0, long slabBytes = 0)
    {
        if (m <= 0 || n <= 0) return;
        if (k <= 0 || alpha == 0)
        {
            ScaleC(m, n, beta, c, ldc);
            return;
        }
        // The kernel is fixed once per call, so MR, NR and the packing agree throughout.
        bool use512 = (kernel == GemmKernel.Auto ? DefaultKernel : kernel) == GemmKernel.Vector512;
        int mr = use512 ? 8 : 6, nr = use512 ? 24 : 8;
        bool parallel = allowParallel && Environment.ProcessorCount > 1 && (long)m * n * k >= ParallelThreshold;
        // Slab: nc ≤ NCMax columns of op(B) (a multiple of NR) by kd rows of depth (a multiple of KC, or all of k),
        // as deep as SlabBytes allow, so that A is packed once per column slab and C is revisited k/kd times.
        int ncCap = Math.Max(nr, (slabColumns > 0 ? slabColumns : NCMax) / nr * nr);
        int slabs = (n + ncCap - 1) / ncCap;
        int ncMax = RoundUp((n + slabs - 1) / slabs, nr); // balanced: no thin last slab that would pack all of A again
        int kdMax = (int)Math.Min(k, Math.Max(KC, (slabBytes > 0 ? slabBytes : SlabBytes) / (8L * ncMax) / KC * KC));
        long bufB = (long)kdMax * ncMax + 8;
        double[] bArr = ArrayPool<double>.Shared.Rent(checked((int)bufB));
        try
        {
            fixed (double* bRaw = bArr)
            {
                double* bp = Align64(bRaw);
                for (int jc = 0; jc < n; jc += ncMax)
                {
                    int nc = Math.Min(ncMax, n - jc);
                    // Lower part: rows above jc have nothing on or below the diagonal in this column slab.
                    int icStart = part == Part.Lower ? jc : 0;
                    if (icStart >= m) break;
                    int panels = (nc + nr - 1) / nr;
                    // Row blocks of at most MC rows made of whole MR-row panels, spread evenly, and as many as a multiple of
                    // the thread count, so that the threads finish each chunk together (no thin last block).
                    int rowPanelCount = (m - icStart + mr - 1) / mr;
                    int rowBlocks = (rowPanelCount * mr + MC - 1) / MC;
                    if (parallel) rowBlocks = Math.Min(rowPanelCount, RoundUp(rowBlocks, Environment.ProcessorCount));
                    int slices = 1;
                    if (parallel)
                    {
                        int want = 4 * Environment.ProcessorCount;
                        if (rowBlocks < want) slices = Math.Min(panels, (want + rowBlocks - 1) / rowBlocks);
                    }
                    int items = rowBlocks * slices;
                    for (int pd = 0; pd < k; pd += kdMax)
                    {
                        // Layout: depth block pc starts at (pc − pd)·ncRounded, its panel q at + q·nr·kc.
                        var job = new Job
                        {
                            Ta = ta, Tb = tb, M = m, K = k, P0 = pd, P1 = Math.Min(k, pd + kdMax), Jc = jc, Nc = nc,
                            A = a, Lda = lda, B = b, Ldb = ldb, Bp = bp, BlockStride = (long)panels * nr,
                            C = c, Ldc = ldc, Alpha = alpha, Beta = beta, Part = part,
                            IcStart = icStart, RowPanels = rowPanelCount, RowBlocks = rowBlocks, Mr = mr, Nr = nr, Use512 = use512,
                            Slices = slices, PanelsPerSlice = (panels + slices - 1) / slices,
                        };
                        // Pack op(B)[pd:pd+kd, jc:jc+nc], PackGroup NR-column panels (all their depth blocks) per item.
                        int groups = (panels + PackGroup - 1) / PackGroup;
                        if (parallel && groups > 1) Parallel.For(0, groups, job.PackB);
                        else for (int g = 0; g < groups; g++) job.PackB(g);
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
        public Op Ta, Tb;
        public int M, K, P0, P1, Jc, Nc, IcStart, RowPanels, RowBlocks, Slices, PanelsPerSlice, Mr, Nr;
        public bool Use512;
        public double* A, B, Bp, C;
        public long Lda, Ldb, Ldc, BlockStride;
        public double Alpha, Beta;
        public Part Part;

        /// <summary>Packs panels [g·<see cref="PackGroup"/>, (g+1)·<see cref="PackGroup"/>) of the slab for every depth
        /// block. Untransposed B is read row by row across the whole group (PackGroup·NR contiguous doubles, a stream
        /// for the hardware prefetcher) rather than panel by panel (one cache line per row at a stride of ldb): the
        /// 96×2000×2000 product, whose cost is mostly this packing, went from 0.68× to 0.79× OpenBLAS single-threaded.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void PackB(int g)
        {
            int nr = Nr, panels = (Nc + nr - 1) / nr;
            int q0 = g * PackGroup, q1 = Math.Min(panels, q0 + PackGroup);
            for (int pc = P0; pc < P1; pc += KC)
            {
                int kc = Math.Min(KC, P1 - pc);
                double* block = Bp + (pc - P0) * BlockStride;
                if (Tb == Op.None)
                    PackBRows(B + pc * Ldb + Jc, Ldb, kc, q0, q1, Nc, block, nr);
                else
                    for (int q = q0; q < q1; q++)
                        PackBPanelTransposed(B, Ldb, pc, kc, Jc + q * nr, Math.Min(nr, Nc - q * nr), block + (long)q * nr * kc, nr);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int item)
        {
            int mr = Mr, nr = Nr;
            int block = item / Slices, slice = item % Slices;
            int r0 = (int)((long)block * RowPanels / RowBlocks), r1 = (int)((long)(block + 1) * RowPanels / RowBlocks);
            int ic = IcStart + r0 * mr;
            int mc = Math.Min(r1 * mr, M - IcStart) - r0 * mr;
            int panels = (Nc + nr - 1) / nr;
            int q0 = slice * PanelsPerSlice, q1 = Math.Min(panels, q0 + PanelsPerSlice);
            if (q0 >= q1) return;
            // Lower part: panels wholly right of this block's last row have nothing to compute.
            if (Part == Part.Lower)
            {
                if (ic + mc - 1 < Jc) return;
                q1 = Math.Min(q1, (ic + mc - 1 - Jc) / nr + 1);
                if (q0 >= q1) return;
            }
            double[] aArr = ArrayPool<double>.Shared.Rent(RoundUp(mc, mr) * KC + 8);
            try
            {
                fixed (double* aRaw = aArr)
                {
                    double* ap = Align64(aRaw);
                    int rowPanels = (mc + mr - 1) / mr;
                    var tile = stackalloc double[8 * 24];
                    for (int pc = P0; pc < P1; pc += KC)
                    {
                        int kc = Math.Min(KC, P1 - pc);
                        double beta = pc == 0 ? Beta : 1.0;
                        for (int r = 0; r < rowPanels; r++)
                            PackAPanel(Ta, A, Lda, ic + r * mr, Math.Min(mr, mc - r * mr), pc, kc, ap + (long)r * mr * kc, mr);
                        double* bBlock = Bp + (pc - P0) * BlockStride;
                        for (int q = q0; q < q1; q++)
                        {
                            int j0 = Jc + q * nr, nv = Math.Min(nr, Nc - q * nr);
                            double* bpanel = bBlock + (long)q * nr * kc;
                            for (int r = 0; r < rowPanels; r++)
                            {
                                int i0 = ic + r * mr, mv = Math.Min(mr, mc - r * mr);
                                if (Part == Part.Lower && j0 > i0 + mv - 1) continue;
                                double* apanel = ap + (long)r * mr * kc;
                                double* ct = C + i0 * Ldc + j0;
                                if (mv == mr && nv == nr)
                                {
                                    if (Use512) Kernel8x24(kc, apanel, bpanel, ct, Ldc, Alpha, beta);
                                    else Kernel6x8(kc, apanel, bpanel, ct, Ldc, Alpha, beta);
                                }
                                else
                                {
                                    if (Use512) Kernel8x24(kc, apanel, bpanel, tile, nr, 1.0, 0.0);
                                    else Kernel6x8(kc, apanel, bpanel, tile, nr, 1.0, 0.0);
                                    for (int i = 0; i < mv; i++)
                                    {
                                        double* crow = ct + i * Ldc;
                                        double* trow = tile + i * nr;
                                        if (beta == 0) for (int j = 0; j < nv; j++) crow[j] = Alpha * trow[j];
                                        else for (int j = 0; j < nv; j++) crow[j] = Math.FusedMultiplyAdd(Alpha, trow[j], beta * crow[j]);   // as Store2/Store3
                                    }
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

    /// <summary>Packs op(A)[i0:i0+rows, p0:p0+kc] as one MR-row micro-panel (p-major, zero-padded rows).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackAPanel(Op ta, double* a, long lda, int i0, int rows, int p0, int kc, double* dst, int mr)
    {
        if (ta == Op.None && rows == mr && Avx.IsSupported)
        {
            PackARowsAvx(a + i0 * lda + p0, lda, kc, dst, mr);
            return;
        }
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

    /// <summary>Packs mr (6, 8, or any even count: also NR rows of a transposed B) full rows of a row-major A, kc long, p-major: 4×4 blocks are transposed in
    /// registers (unpack + 128-bit permute), a last pair of rows by unpacking, so loads and stores are
    /// vectors instead of mr·kc scalar stores with stride mr.</summary>
    /// <remarks>Jitted fully optimised at its first call, as all the packing routines: at tier 0 (the first calls of a
    /// process) its vector code cost 3–10 ns per element, which thin products (n ≈ 100) could not amortise.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackARowsAvx(double* src, long lda, int kc, double* dst, int mr)
    {
        int p = 0;
        for (; p + 4 <= kc; p += 4)
        {
            double* d = dst + p * mr;
            int r = 0;
            for (; r + 4 <= mr; r += 4)
            {
                double* s0 = src + r * lda + p;
                var x0 = Avx.LoadVector256(s0);
                var x1 = Avx.LoadVector256(s0 + lda);
                var x2 = Avx.LoadVector256(s0 + 2 * lda);
                var x3 = Avx.LoadVector256(s0 + 3 * lda);
                var t0 = Avx.UnpackLow(x0, x1);
                var t1 = Avx.UnpackHigh(x0, x1);
                var t2 = Avx.UnpackLow(x2, x3);
                var t3 = Avx.UnpackHigh(x2, x3);
                Avx.Store(d + r, Avx.Permute2x128(t0, t2, 0x20));
                Avx.Store(d + mr + r, Avx.Permute2x128(t1, t3, 0x20));
                Avx.Store(d + 2 * mr + r, Avx.Permute2x128(t0, t2, 0x31));
                Avx.Store(d + 3 * mr + r, Avx.Permute2x128(t1, t3, 0x31));
            }
            if (r + 2 <= mr)
            {
                double* s0 = src + r * lda + p;
                var x0 = Avx.LoadVector256(s0);
                var x1 = Avx.LoadVector256(s0 + lda);
                var u0 = Avx.UnpackLow(x0, x1);
                var u1 = Avx.UnpackHigh(x0, x1);
                u0.GetLower().Store(d + r);
                u1.GetLower().Store(d + mr + r);
                u0.GetUpper().Store(d + 2 * mr + r);
                u1.GetUpper().Store(d + 3 * mr + r);
            }
        }
        for (; p < kc; p++)
            for (int r = 0; r < mr; r++) dst[p * mr + r] = src[r * lda + p];
    }

    /// <summary>Panels of op(B) packed together by one work item (<see cref="Job.PackB"/>).</summary>
    internal const int PackGroup = 8;

    /// <summary>Packs kc rows of an untransposed B (src: row pc, column Jc) into the NR-column micro-panels [q0, q1)
    /// of a depth block (panel q at q·nr·kc, p-major, zero-padded past nc columns), one row at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackBRows(double* src, long ldb, int kc, int q0, int q1, int nc, double* block, int nr)
    {
        int full = Math.Min(q1, nc / nr); // panels [q0, full) have all nr columns
        long panelStride = (long)nr * kc;
        for (int p = 0; p < kc; p++)
        {
            double* row = src + p * ldb;
            double* d = block + (long)q0 * panelStride + p * nr;
            int q = q0;
            if (nr == 8)
                for (; q < full; q++, d += panelStride)
                {
                    double* s = row + q * 8;
                    Vector256.Store(Vector256.Load(s), d);
                    Vector256.Store(Vector256.Load(s + 4), d + 4);
                }
            else
                for (; q < full; q++, d += panelStride)
                    Buffer.MemoryCopy(row + q * nr, d, nr * sizeof(double), nr * sizeof(double));
            for (; q < q1; q++, d += panelStride)
            {
                int cols = Math.Min(nr, nc - q * nr);
                for (int j = 0; j < cols; j++) d[j] = row[q * nr + j];
                for (int j = cols; j < nr; j++) d[j] = 0;
            }
        }
    }

    /// <summary>Packs op(B)[p0:p0+kc, j0:j0+cols] = Bᵀ (B stored transposed: column j of op(B) is row j of b) as one
    /// NR-column micro-panel (p-major, zero-padded columns); full panels by the 4×4 register transposes of
    /// <see cref="PackARowsAvx"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackBPanelTransposed(double* b, long ldb, int p0, int kc, int j0, int cols, double* dst, int nr)
    {
        if (cols == nr && Avx.IsSupported)
        {
            PackARowsAvx(b + j0 * ldb + p0, ldb, kc, dst, nr);
            return;
        }
        for (int j = 0; j < cols; j++)
        {
            double* src = b + (j0 + j) * ldb + p0;
            double* d = dst + j;
            for (int p = 0; p < kc; p++) d[p * nr] = src[p];
        }
        for (int j = cols; j < nr; j++)
            for (int p = 0; p < kc; p++) dst[p * nr + j] = 0;
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

    /// <summary>The 6×8 AVX2 micro-kernel (BLIS Haswell/Zen shape), used without AVX-512: C[0:6, 0:8] ← α·Σ_p a[p]·b[p] + β·C
    /// (β = 0: C not read). The six rows of C are prefetched first, so their cache misses overlap the k loop
    /// (BLIS's haswell kernels do the same); the loop is unrolled by four.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x8(int kc, double* a, double* b, double* c, long ldc, double alpha, double beta)
    {
        if (Sse.IsSupported)
        {
            for (int i = 0; i < 6; i++)
            {
                Sse.Prefetch0(c + i * ldc);
                Sse.Prefetch0(c + i * ldc + 7);
            }
        }
        Vector256<double> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<double> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        int p = 0;
        for (; p + 4 <= kc; p += 4)
        {
            Step6x8(a, b, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
            Step6x8(a + 6, b + 8, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
            Step6x8(a + 12, b + 16, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
            Step6x8(a + 18, b + 24, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
            a += 24;
            b += 32;
        }
        for (; p < kc; p++)
        {
            Step6x8(a, b, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
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

    /// <summary>One rank-1 update of the 6×8 tile: six broadcasts of packed A against two loads of packed B.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step6x8(double* a, double* b,
        ref Vector256<double> c00, ref Vector256<double> c01, ref Vector256<double> c10, ref Vector256<double> c11,
        ref Vector256<double> c20, ref Vector256<double> c21, ref Vector256<double> c30, ref Vector256<double> c31,
        ref Vector256<double> c40, ref Vector256<double> c41, ref Vector256<double> c50, ref Vector256<double> c51)
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
