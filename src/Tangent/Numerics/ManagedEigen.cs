using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tangent.Numerics;

/// <summary>
/// The managed symmetric eigensolver for large orders, arranged as LAPACK's dsyevd (docs/SOLVERS.md,
/// "The symmetric eigensolver"): a blocked Householder tridiagonalisation (dsytrd/dlatrd: panels of
/// <see cref="PanelWidth"/> reflectors, the trailing rank-2·nb update through <see cref="ManagedGemm"/>,
/// the panel's symmetric matrix-vector products on one triangle over all cores), divide and
/// conquer on the tridiagonal (dstedc/dlaed0–dlaed4: rank-one tearing, deflation, the secular
/// equation per eigenvalue, Gu &amp; Eisenstat's recomputed z, the eigenvector update as a GEMM) and
/// the back-transformation by the reflectors in compact-WY blocks (dlarft/dlarfb) as GEMMs.
/// </summary>
/// <remarks>
/// Storage is row-major throughout. The tridiagonalisation reads and updates the lower triangle of
/// A; reflector j (v with v[0] = 1 on rows j+1…n−1) is kept in the free strict upper part of row j.
/// The eigenvector matrices of divide and conquer hold components in rows and eigenvectors in columns;
/// the back-transformation works on their transpose (eigenvectors in rows).
/// </remarks>
internal static unsafe partial class ManagedEigen
{
    /// <summary>Reflectors per panel of the tridiagonalisation.</summary>
    internal static int PanelWidth = 32;

    /// <summary>Tridiagonal blocks of at most this order are solved by QL (tql2) directly.</summary>
    internal static int LeafSize = 32;

    /// <summary>Reflectors per compact-WY block of the back-transformation: 96 with the AVX2 GEMM kernel, 192 with the
    /// AVX-512 one (n = 5000 on 2 Zen 5 cores: 1.62–1.65 s against 1.76 s at 96; 256 and 384 no better).</summary>
    internal static int BackBlock = ManagedGemm.Use512 ? 192 : 96;

    /// <summary>Below this order the symmetric matrix-vector product runs on the calling thread.</summary>
    private const int ParallelSymv = 384;

    private const double Eps = 1.1102230246251565e-16; // 2⁻⁵³, LAPACK's dlamch('E')

    /// <summary>Wall seconds of the last call's phases (tridiagonalisation, divide and conquer, back-transformation), for the benchmark.</summary>
    internal static (double Tridiagonal, double DivideAndConquer, double BackTransform) LastPhases;

    /// <summary>Wall seconds of the last tridiagonalisation spent in its symmetric matrix-vector products, for the benchmark.</summary>
    internal static double LastSymvSeconds;

    private static double Seconds(long ticks) => (double)ticks / System.Diagnostics.Stopwatch.Frequency;

    /// <summary>Eigenvalues (ascending, into w) and eigenvectors (columns of a) of the symmetric a (lower triangle read).</summary>
    public static void Syevd(int n, double* a, int lda, Span<double> w)
    {
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
                if (!double.IsFinite(a[(long)i * lda + j]))
                    throw new ArithmeticException($"The symmetric eigensolver cannot run: A[{i + 1}, {j + 1}] is {a[(long)i * lda + j]}; the matrix must be finite.");
        var d = new double[n];
        var e = new double[Math.Max(n - 1, 1)];
        var tau = new double[Math.Max(n - 1, 1)];
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        Tridiagonalize(n, a, lda, d, e, tau);
        long t1 = System.Diagnostics.Stopwatch.GetTimestamp();
        var z = new double[(long)n * n];
        var lam = new double[n];
        fixed (double* pz = z)
        {
            DivideAndConquer(n, d, e, pz, lam);
            long t2 = System.Diagnostics.Stopwatch.GetTimestamp();
            // The back-transformation runs on Zᵀ (eigenvectors in rows): its GEMMs then have n rows and a thin
            // depth or width, the shapes the managed GEMM runs well (with eigenvectors in columns, one of them
            // was b × n × n with b = BackBlock rows, which packs all of Z per block for only b rows of work).
            TransposeInPlace(n, pz);
            BackTransformTransposed(n, a, lda, tau, pz);
            long t3 = System.Diagnostics.Stopwatch.GetTimestamp();
            LastPhases = (Seconds(t1 - t0), Seconds(t2 - t1), Seconds(t3 - t2));
            var order = new int[n];
            for (int i = 0; i < n; i++) order[i] = i;
            var keys = (double[])lam.Clone();
            Array.Sort(keys, order);
            for (int j = 0; j < n; j++) w[j] = keys[j];
            // A[i, j] = Zᵀ[order[j], i], in 32×32 tiles so that both sides stay in cache.
            const int tile = 32;
            for (int j0 = 0; j0 < n; j0 += tile)
            {
                int j1 = Math.Min(n, j0 + tile);
                for (int i0 = 0; i0 < n; i0 += tile)
                {
                    int i1 = Math.Min(n, i0 + tile);
                    for (int j = j0; j < j1; j++)
                    {
                        double* src = pz + (long)order[j] * n;
                        for (int i = i0; i < i1; i++) a[i * lda + j] = src[i];
                    }
                }
            }
        }
    }

    // ───────────────────────────── tridiagonalisation (dsytrd / dlatrd) ─────────────────────────────

    /// <summary>
    /// Q·T·Qᵀ = A with T = tridiag(e, d, e) and Q = H(0)·…·H(n−2), H(j) = I − τ_j·v_j·v_jᵀ.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Tridiagonalize(int n, double* a, long lda, double[] d, double[] e, double[] tau)
    {
        if (n == 1)
        {
            d[0] = a[0];
            return;
        }
        int nb0 = Math.Max(1, PanelWidth);
        // Per panel of b reflectors over m rows: W (b rows of length m), then P, then a copy of W, so that rows
        // [P; W] and [W; P] are each contiguous and the trailing update is one GEMM of depth 2b.
        var panels = new double[3L * nb0 * n];
        var t1 = new double[nb0];
        var t2 = new double[nb0];
        long symvTicks = 0;
        fixed (double* buffer = panels)
        {
            for (int p = 0; p < n - 1; p += nb0)
            {
                int m = n - p, b = Math.Min(nb0, m - 1);
                double* W = buffer, P = buffer + (long)b * m, W2 = buffer + 2L * b * m;
                double* at = a + p * lda + p; // the trailing matrix A[p.., p..]
                // Gather the panel's columns (lower triangle) into rows of P: P[i][r] = A[r, i], r ≥ i.
                for (int i = 0; i < b; i++)
                {
                    double* pi = P + (long)i * m;
                    for (int r = i; r < m; r++) pi[r] = at[r * lda + i];
                }
                for (int i = 0; i < b; i++)
                {
                    double* pi = P + (long)i * m;
                    double* wi = W + (long)i * m;
                    // Bring column i up to date with the panel's earlier reflectors: a −= V·w_iᵀ + W·v_iᵀ.
                    for (int j = 0; j < i; j++)
                        Rank2(pi + i, m - i, -W[(long)j * m + i], P + (long)j * m + i, -P[(long)j * m + i], W + (long)j * m + i);
                    d[p + i] = pi[i];
                    // Reflector annihilating A[i+2.., i] (dlarfg).
                    int len = m - i - 1;
                    double alpha = pi[i + 1];
                    double xnorm = Norm(pi + i + 2, len - 1);
                    double ti = 0, beta = alpha;
                    if (xnorm != 0)
                    {
                        beta = -Math.CopySign(Hypot(alpha, xnorm), alpha);
                        ti = (beta - alpha) / beta;
                        Scale(pi + i + 2, len - 1, 1.0 / (alpha - beta));
                    }
                    e[p + i] = beta;
                    tau[p + i] = ti;
                    pi[i + 1] = 1.0;
                    double* v = pi + i + 1, y = wi + i + 1;
                    if (ti == 0)
                    {
                        new Span<double>(y, len).Clear();
                        continue;
                    }
                    // y = A[i+1.., i+1..]·v on the lower triangle of the (not yet panel-updated) trailing matrix.
                    long s0 = System.Diagnostics.Stopwatch.GetTimestamp();
                    Symv(at + (i + 1) * lda + i + 1, lda, len, v, y);
                    symvTicks += System.Diagnostics.Stopwatch.GetTimestamp() - s0;
                    // Corrections for the panel's earlier reflectors, then y ← τ·y − ½τ²(yᵀv)·v.
                    for (int j = 0; j < i; j++)
                    {
                        t1[j] = Dot(W + (long)j * m + i + 1, v, len);
                        t2[j] = Dot(P + (long)j * m + i + 1, v, len);
                    }
                    for (int j = 0; j < i; j++)
                        Rank2(y, len, -t1[j], P + (long)j * m + i + 1, -t2[j], W + (long)j * m + i + 1);
                    Scale(y, len, ti);
                    double half = -0.5 * ti * Dot(y, v, len);
                    Rank2(y, len, half, v, 0.0, v);
                }
                // Trailing update A[b.., b..] −= V·Wᵀ + W·Vᵀ = [V W]·[W V]ᵀ (lower triangle) as one GEMM of depth 2b,
                // so the trailing matrix is read and written once per panel (dsyr2k's one pass).
                int mt = m - b;
                double* c = at + b * lda + b;
                Buffer.MemoryCopy(W, W2, 8L * b * m, 8L * b * m);
                ManagedGemm.Gemm(Op.Transpose, Op.None, mt, mt, 2 * b, -1.0, P + b, m, W + b, m, 1.0, c, lda, ManagedGemm.Part.Lower);
                // Keep the reflectors in the strict upper part of their rows (row p+i from column p+i+1).
                for (int i = 0; i < b; i++)
                    new Span<double>(P + (long)i * m + i + 1, m - i - 1).CopyTo(new Span<double>(at + i * lda + i + 1, m - i - 1));
            }
        }
        d[n - 1] = a[(n - 1) * lda + n - 1];
        LastSymvSeconds = Seconds(symvTicks);
    }

    /// <summary>y = S·x for the symmetric S of order len whose lower triangle is read from s (row-major, ld).</summary>
    internal static void Symv(double* s, long ld, int len, double* x, double* y)
    {
        int threads = Environment.ProcessorCount;
        if (len < ParallelSymv || threads < 2)
        {
            new Span<double>(y, len).Clear();
            SymvRows(s, ld, 0, len, x, y);
            return;
        }
        threads = Math.Min(threads, 8);
        // Row r costs about r: thread t takes rows [len·√(t/T), len·√((t+1)/T)) and its own accumulator.
        var bounds = new int[threads + 1];
        for (int t = 0; t <= threads; t++) bounds[t] = (int)Math.Round(len * Math.Sqrt((double)t / threads));
        bounds[threads] = len;
        var parts = ArrayPool<double>.Shared.Rent(threads * len);
        fixed (double* pp = parts)
        {
            double* ppl = pp;
            Parallel.For(0, threads, t =>
            {
                double* acc = ppl + (long)t * len;
                int r1 = bounds[t + 1];
                new Span<double>(acc, r1).Clear();
                SymvRows(s, ld, bounds[t], r1, x, acc);
            });
            new Span<double>(y, len).Clear();
            for (int t = 0; t < threads; t++)
                Rank2(y, bounds[t + 1], 1.0, pp + (long)t * len, 0.0, pp + (long)t * len);
        }
        ArrayPool<double>.Shared.Return(parts);
    }

    /// <summary>
    /// Rows [r0, r1) of the lower triangle: y[r] += S[r, 0..r]·x, y[0..r) += x[r]·S[r, 0..r). Rows go four
    /// at a time, so one pass over x[0..r) and y[0..r) (one load of each, one store of y per vector) serves
    /// four rows of S: the product is bound by the reads of S (docs/PERFORMANCE.md, the providers table's Syevd row).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void SymvRows(double* s, long ld, int r0, int r1, double* x, double* y)
    {
        int r = r0;
        for (; r + 4 <= r1; r += 4)
        {
            double* s0 = s + r * ld, s1 = s0 + ld, s2 = s1 + ld, s3 = s2 + ld;
            double x0 = x[r], x1 = x[r + 1], x2 = x[r + 2], x3 = x[r + 3];
            var vx0 = Vector256.Create(x0);
            var vx1 = Vector256.Create(x1);
            var vx2 = Vector256.Create(x2);
            var vx3 = Vector256.Create(x3);
            Vector256<double> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
            int k = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                // AVX-512: eight lanes per load; the four row sums are folded into the 256-bit accumulators below.
                var wx0 = Vector512.Create(x0);
                var wx1 = Vector512.Create(x1);
                var wx2 = Vector512.Create(x2);
                var wx3 = Vector512.Create(x3);
                Vector512<double> w0 = default, w1 = default, w2 = default, w3 = default;
                for (; k <= r - 8; k += 8)
                {
                    var xk = Vector512.Load(x + k);
                    var a0 = Vector512.Load(s0 + k);
                    var a1 = Vector512.Load(s1 + k);
                    var a2 = Vector512.Load(s2 + k);
                    var a3 = Vector512.Load(s3 + k);
                    w0 = Vector512.FusedMultiplyAdd(a0, xk, w0);
                    w1 = Vector512.FusedMultiplyAdd(a1, xk, w1);
                    w2 = Vector512.FusedMultiplyAdd(a2, xk, w2);
                    w3 = Vector512.FusedMultiplyAdd(a3, xk, w3);
                    var t0 = Vector512.FusedMultiplyAdd(a1, wx1, a0 * wx0);
                    var t1 = Vector512.FusedMultiplyAdd(a3, wx3, a2 * wx2);
                    (Vector512.Load(y + k) + (t0 + t1)).Store(y + k);
                }
                acc0 = w0.GetLower() + w0.GetUpper();
                acc1 = w1.GetLower() + w1.GetUpper();
                acc2 = w2.GetLower() + w2.GetUpper();
                acc3 = w3.GetLower() + w3.GetUpper();
            }
            for (; k <= r - 4; k += 4)
            {
                var xk = Vector256.Load(x + k);
                var a0 = Vector256.Load(s0 + k);
                var a1 = Vector256.Load(s1 + k);
                var a2 = Vector256.Load(s2 + k);
                var a3 = Vector256.Load(s3 + k);
                acc0 = Vector256.FusedMultiplyAdd(a0, xk, acc0);
                acc1 = Vector256.FusedMultiplyAdd(a1, xk, acc1);
                acc2 = Vector256.FusedMultiplyAdd(a2, xk, acc2);
                acc3 = Vector256.FusedMultiplyAdd(a3, xk, acc3);
                var t0 = Vector256.FusedMultiplyAdd(a1, vx1, a0 * vx0);
                var t1 = Vector256.FusedMultiplyAdd(a3, vx3, a2 * vx2);
                (Vector256.Load(y + k) + (t0 + t1)).Store(y + k);
            }
            double h0 = Vector256.Sum(acc0), h1 = Vector256.Sum(acc1), h2 = Vector256.Sum(acc2), h3 = Vector256.Sum(acc3);
            for (; k < r; k++)
            {
                double xk = x[k];
                h0 += s0[k] * xk;
                h1 += s1[k] * xk;
                h2 += s2[k] * xk;
                h3 += s3[k] * xk;
                y[k] += x0 * s0[k] + x1 * s1[k] + x2 * s2[k] + x3 * s3[k];
            }
            // The 4×4 diagonal block (its lower triangle).
            double a10 = s1[r], a20 = s2[r], a21 = s2[r + 1], a30 = s3[r], a31 = s3[r + 1], a32 = s3[r + 2];
            y[r] += h0 + s0[r] * x0 + a10 * x1 + a20 * x2 + a30 * x3;
            y[r + 1] += h1 + a10 * x0 + s1[r + 1] * x1 + a21 * x2 + a31 * x3;
            y[r + 2] += h2 + a20 * x0 + a21 * x1 + s2[r + 2] * x2 + a32 * x3;
            y[r + 3] += h3 + a30 * x0 + a31 * x1 + a32 * x2 + s3[r + 3] * x3;
        }
        for (; r < r1; r++)
        {
            double* row = s + r * ld;
            double xr = x[r];
            var vx = Vector256.Create(xr);
            var acc = Vector256<double>.Zero;
            int k = 0;
            for (; k <= r - 4; k += 4)
            {
                var a = Vector256.Load(row + k);
                acc = Vector256.FusedMultiplyAdd(a, Vector256.Load(x + k), acc);
                Vector256.FusedMultiplyAdd(a, vx, Vector256.Load(y + k)).Store(y + k);
            }
            double sum = Vector256.Sum(acc);
            for (; k < r; k++)
            {
                sum += row[k] * x[k];
                y[k] += xr * row[k];
            }
            y[r] += sum + row[r] * xr;
        }
    }

    // ───────────────────────────── back-transformation (dormtr / dlarft / dlarfb) ─────────────────────────────

    /// <summary>
    /// Zᵀ ← Zᵀ·Qᵀ (that is, Z ← Q·Z) with Q = H(0)·…·H(n−2) from <see cref="Tridiagonalize"/> and zt = Zᵀ
    /// (n×n row-major, eigenvectors in rows), in compact-WY blocks of <see cref="BackBlock"/> reflectors, last
    /// block first: with a block Q_B = I − V·T·Vᵀ (dlarft, forward and columnwise), Zᵀ·Q_Bᵀ = Zᵀ − (Zᵀ·V)·Tᵀ·Vᵀ,
    /// three GEMMs of n rows (dlarfb's, transposed).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void BackTransformTransposed(int n, double* a, long lda, double[] tau, double* zt)
    {
        int nr = n - 1;
        if (nr <= 0) return;
        int bb = Math.Max(1, BackBlock);
        var vt = ArrayPool<double>.Shared.Rent(bb * n);
        var y = ArrayPool<double>.Shared.Rent(bb * n);
        var y2 = ArrayPool<double>.Shared.Rent(bb * n);
        var tm = new double[bb * bb];
        var g = new double[bb * bb];
        try
        {
            fixed (double* pv = vt, py = y, py2 = y2, pt = tm, pg = g)
            {
                for (int j0 = (nr - 1) / bb * bb; j0 >= 0; j0 -= bb)
                {
                    int b = Math.Min(bb, nr - j0), r0 = j0 + 1, mr = n - r0;
                    // Vᵀ (b × mr): reflector j0+t is zero before component t, one at t.
                    for (int t = 0; t < b; t++)
                    {
                        double* row = pv + (long)t * mr;
                        new Span<double>(row, t).Clear();
                        new Span<double>(a + (j0 + t) * lda + j0 + t + 1, mr - t).CopyTo(new Span<double>(row + t, mr - t));
                        row[t] = 1.0;
                    }
                    // T (upper triangular, dlarft forward/columnwise) from the Gram matrix G = Vᵀ·V.
                    ManagedGemm.Gemm(Op.None, Op.Transpose, b, b, mr, 1.0, pv, mr, pv, mr, 0.0, pg, b);
                    new Span<double>(pt, b * b).Clear();
                    for (int i = 0; i < b; i++)
                    {
                        double ti = tau[j0 + i];
                        pt[i * b + i] = ti;
                        for (int r = 0; r < i; r++)
                        {
                            double s = 0;
                            for (int q = r; q < i; q++) s += pt[r * b + q] * pg[q * b + i];
                            pt[r * b + i] = -ti * s;
                        }
                    }
                    // The columns r0.. of Zᵀ: Y = Zᵀ·V (n × b), Y₂ = Y·Tᵀ, Zᵀ −= Y₂·Vᵀ.
                    double* zs = zt + r0;
                    ManagedGemm.Gemm(Op.None, Op.Transpose, n, b, mr, 1.0, zs, n, pv, mr, 0.0, py, b);
                    ManagedGemm.Gemm(Op.None, Op.Transpose, n, b, b, 1.0, py, b, pt, b, 0.0, py2, b);
                    ManagedGemm.Gemm(Op.None, Op.None, n, mr, b, -1.0, py2, b, pv, mr, 1.0, zs, n);
                }
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(vt);
            ArrayPool<double>.Shared.Return(y);
            ArrayPool<double>.Shared.Return(y2);
        }
    }

    /// <summary>Transposes the n×n row-major z in place, swapping 32×32 tiles across the diagonal.</summary>
    internal static void TransposeInPlace(int n, double* z)
    {
        const int tile = 32;
        for (int i0 = 0; i0 < n; i0 += tile)
        {
            int i1 = Math.Min(n, i0 + tile);
            for (int j0 = 0; j0 <= i0; j0 += tile)
            {
                int j1 = Math.Min(n, j0 + tile);
                for (int i = i0; i < i1; i++)
                    for (int j = j0; j < Math.Min(j1, i); j++)
                    {
                        long ij = (long)i * n + j, ji = (long)j * n + i;
                        (z[ij], z[ji]) = (z[ji], z[ij]);
                    }
            }
        }
    }

    // ───────────────────────────── small vector helpers ─────────────────────────────

    /// <summary>x[k] += α·y[k] + β·z[k].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rank2(double* x, int len, double alpha, double* y, double beta, double* z)
    {
        var va = Vector256.Create(alpha);
        var vb = Vector256.Create(beta);
        int k = 0;
        for (; k <= len - 4; k += 4)
            Vector256.FusedMultiplyAdd(vb, Vector256.Load(z + k), Vector256.FusedMultiplyAdd(va, Vector256.Load(y + k), Vector256.Load(x + k))).Store(x + k);
        for (; k < len; k++) x[k] += alpha * y[k] + beta * z[k];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Dot(double* x, double* y, int len)
    {
        var acc0 = Vector256<double>.Zero;
        var acc1 = Vector256<double>.Zero;
        int k = 0;
        for (; k <= len - 8; k += 8)
        {
            acc0 = Vector256.FusedMultiplyAdd(Vector256.Load(x + k), Vector256.Load(y + k), acc0);
            acc1 = Vector256.FusedMultiplyAdd(Vector256.Load(x + k + 4), Vector256.Load(y + k + 4), acc1);
        }
        double s = Vector256.Sum(acc0 + acc1);
        for (; k < len; k++) s += x[k] * y[k];
        return s;
    }

    private static void Scale(double* x, int len, double alpha)
    {
        for (int k = 0; k < len; k++) x[k] *= alpha;
    }

    /// <summary>‖x‖₂ with scaling against overflow and underflow.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Norm(double* x, int len)
    {
        double big = 0;
        for (int k = 0; k < len; k++) big = Math.Max(big, Math.Abs(x[k]));
        if (big == 0) return 0;
        double inv = 1.0 / big, s = 0;
        for (int k = 0; k < len; k++)
        {
            double t = x[k] * inv;
            s += t * t;
        }
        return big * Math.Sqrt(s);
    }

    private static double Hypot(double a, double b)
    {
        double aa = Math.Abs(a), bb = Math.Abs(b);
        if (aa < bb) (aa, bb) = (bb, aa);
        if (aa == 0) return 0;
        double r = bb / aa;
        return aa * Math.Sqrt(1 + r * r);
    }
}
