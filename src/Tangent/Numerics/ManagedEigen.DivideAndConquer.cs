using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tangent.Numerics;

internal static unsafe partial class ManagedEigen
{
    /// <summary>
    /// Eigenvalues (lam, unsorted) and eigenvectors (the columns of z, n×n row-major, zero on entry) of
    /// the symmetric tridiagonal with diagonal d and off-diagonal e (e[i] couples i and i+1); d and e
    /// are not kept. Divide and conquer as LAPACK's dstedc/dlaed0: the tridiagonal is scaled to unit
    /// max-norm, torn in halves by rank-one modifications down to blocks of <see cref="LeafSize"/>
    /// (solved by QL), and merged back (<see cref="Merge"/>).
    /// </summary>
    internal static void DivideAndConquer(int n, double[] d, double[] e, double* z, double[] lam)
    {
        double scale = 0;
        for (int i = 0; i < n; i++) scale = Math.Max(scale, Math.Abs(d[i]));
        for (int i = 0; i < n - 1; i++) scale = Math.Max(scale, Math.Abs(e[i]));
        if (scale == 0)
        {
            for (int i = 0; i < n; i++)
            {
                z[(long)i * n + i] = 1.0;
                lam[i] = 0;
            }
            return;
        }
        var dd = new double[n];
        var ee = new double[n];
        for (int i = 0; i < n; i++) dd[i] = d[i] / scale;
        for (int i = 0; i < n - 1; i++) ee[i] = e[i] / scale;
        _secularTicks = _mergeGemmTicks = _leafTicks = 0;
        Solve(n, dd, ee, z, lam, 0, n);
        LastDivideAndConquerParts = (Seconds(_secularTicks), Seconds(_mergeGemmTicks), Seconds(_leafTicks));
        for (int i = 0; i < n; i++) lam[i] *= scale;
    }

    /// <summary>Seconds (summed over threads) of the last divide and conquer's secular equations (roots and vectors),
    /// its merges' eigenvector GEMMs and its QL leaves, for the benchmark.</summary>
    internal static (double Secular, double MergeGemm, double Leaves) LastDivideAndConquerParts;

    private static long _secularTicks, _mergeGemmTicks, _leafTicks;

    /// <summary>The block [s, s+len) of the tridiagonal into the diagonal block of z and lam[s..s+len).</summary>
    private static void Solve(int n, double[] d, double[] e, double* z, double[] lam, int s, int len)
    {
        if (len <= Math.Max(LeafSize, 2))
        {
            Leaf(n, d, e, z, lam, s, len);
            return;
        }
        int n1 = len / 2, t = s + n1 - 1;
        double beta = e[t], ab = Math.Abs(beta);
        // T = diag(T₁ − |β|·e_last·e_lastᵀ, T₂ − |β|·e₁·e₁ᵀ) + |β|·u·uᵀ with u = (e_last; sign(β)·e₁).
        d[t] -= ab;
        d[t + 1] -= ab;
        if (len >= 512 && Environment.ProcessorCount > 1)
            Parallel.Invoke(() => Solve(n, d, e, z, lam, s, n1), () => Solve(n, d, e, z, lam, s + n1, len - n1));
        else
        {
            Solve(n, d, e, z, lam, s, n1);
            Solve(n, d, e, z, lam, s + n1, len - n1);
        }
        Merge(n, z + (long)s * n + s, lam, s, n1, len, beta);
    }

    /// <summary>A leaf block by the implicit QL algorithm (<see cref="ManagedProvider.Tql2"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Leaf(int n, double[] d, double[] e, double* z, double[] lam, int s, int len)
    {
        long tLeaf = System.Diagnostics.Stopwatch.GetTimestamp();
        var w = new double[len][];
        for (int i = 0; i < len; i++)
        {
            w[i] = new double[len];
            w[i][i] = 1.0;
        }
        var dd = new double[len];
        var ee = new double[len];
        for (int i = 0; i < len; i++) dd[i] = d[s + i];
        for (int i = 1; i < len; i++) ee[i] = e[s + i - 1];
        ManagedProvider.Tql2(len, w, dd, ee);
        for (int c = 0; c < len; c++)
        {
            lam[s + c] = dd[c];
            for (int r = 0; r < len; r++) z[(long)(s + r) * n + s + c] = w[c][r];
        }
        Interlocked.Add(ref _leafTicks, System.Diagnostics.Stopwatch.GetTimestamp() - tLeaf);
    }

    /// <summary>
    /// Merges two solved halves (dlaed1–dlaed3): the eigenproblem of D + ρ·z·zᵀ with D the halves'
    /// eigenvalues and z the last row of Q₁ and (signed) first row of Q₂, after deflation of the tiny
    /// components of z and of close pairs of D (Givens rotations of Q's columns); the secular equation
    /// gives each remaining eigenvalue and its differences to the poles, z is recomputed from them
    /// (Gu &amp; Eisenstat) so that the eigenvectors are orthogonal to working precision, and Q's
    /// non-deflated columns times those vectors is two GEMMs (top rows, bottom rows) that skip the
    /// columns known to be zero in each half.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Merge(int n, double* q, double[] lam, int s, int n1, int len, double beta)
    {
        int n2 = len - n1;
        double rho = 2 * Math.Abs(beta), sgn = beta >= 0 ? 1.0 : -1.0, inv = 1 / Math.Sqrt(2.0);
        var zv = new double[len];
        var dv = new double[len];
        for (int c = 0; c < n1; c++) zv[c] = q[(long)(n1 - 1) * n + c] * inv;
        for (int c = 0; c < n2; c++) zv[n1 + c] = sgn * q[(long)n1 * n + n1 + c] * inv;
        for (int c = 0; c < len; c++) dv[c] = lam[s + c];
        double dmax = 0, zmax = 0;
        for (int c = 0; c < len; c++)
        {
            dmax = Math.Max(dmax, Math.Abs(dv[c]));
            zmax = Math.Max(zmax, Math.Abs(zv[c]));
        }
        double tol = 8 * Eps * Math.Max(dmax, zmax);
        if (rho * zmax <= tol) return; // the coupling is negligible: diag(Q₁, Q₂) and the eigenvalues stand
        var perm = new int[len];
        for (int c = 0; c < len; c++) perm[c] = c;
        Array.Sort((double[])dv.Clone(), perm);
        // Column types: 1 nonzero only in the top rows, 3 only in the bottom rows, 2 in both.
        var type = new byte[len];
        for (int c = 0; c < len; c++) type[c] = c < n1 ? (byte)1 : (byte)3;
        var keep = new int[len];
        var defl = new int[len];
        int k = 0, nd = 0, pj = -1;
        foreach (int c in perm)
        {
            if (rho * Math.Abs(zv[c]) <= tol)
            {
                defl[nd++] = c;
                continue;
            }
            if (pj < 0)
            {
                pj = c;
                continue;
            }
            double sv = zv[pj], cv = zv[c], tv = Hypot(cv, sv), gap = dv[c] - dv[pj];
            cv /= tv;
            sv = -sv / tv;
            if (Math.Abs(gap * cv * sv) <= tol)
            {
                // Rotate z[pj] into z[c]: the pair's eigenvalue at pj deflates.
                zv[c] = tv;
                zv[pj] = 0;
                if (type[c] != type[pj]) type[c] = 2;
                for (int r = 0; r < len; r++)
                {
                    double* row = q + (long)r * n;
                    double x = row[pj], y = row[c];
                    row[pj] = cv * x + sv * y;
                    row[c] = cv * y - sv * x;
                }
                double t = dv[pj] * cv * cv + dv[c] * sv * sv;
                dv[c] = dv[pj] * sv * sv + dv[c] * cv * cv;
                dv[pj] = t;
                defl[nd++] = pj;
            }
            else keep[k++] = pj;
            pj = c;
        }
        if (pj >= 0) keep[k++] = pj;
        if (k == 0)
        {
            for (int c = 0; c < len; c++) lam[s + c] = dv[c];
            return;
        }
        // Non-deflated: poles dl (ascending), weights w; their group order (types 1, 2, 3) for the GEMMs.
        var dl = new double[k];
        var w = new double[k];
        var pos = new int[k];
        var colAt = new int[k];
        int c1 = 0, c2 = 0;
        for (int i = 0; i < k; i++)
        {
            dl[i] = dv[keep[i]];
            w[i] = zv[keep[i]];
            if (type[keep[i]] == 1) c1++;
            else if (type[keep[i]] == 2) c2++;
        }
        {
            int g1 = 0, g2 = c1, g3 = c1 + c2;
            for (int i = 0; i < k; i++)
            {
                int p = type[keep[i]] switch { 1 => g1++, 2 => g2++, _ => g3++ };
                pos[i] = p;
                colAt[p] = keep[i];
            }
        }
        int c12 = c1 + c2, c23 = k - c1;
        var lamNew = new double[k];
        double[] u = ArrayPool<double>.Shared.Rent(k * k);
        double[] gtop = ArrayPool<double>.Shared.Rent(Math.Max(1, n1 * c12));
        double[] gbot = ArrayPool<double>.Shared.Rent(Math.Max(1, n2 * c23));
        double[] dfl = ArrayPool<double>.Shared.Rent(Math.Max(1, len * nd));
        try
        {
            long tSecular = System.Diagnostics.Stopwatch.GetTimestamp();
            SecularVectors(k, dl, w, rho, pos, lamNew, u);
            Interlocked.Add(ref _secularTicks, System.Diagnostics.Stopwatch.GetTimestamp() - tSecular);
            fixed (double* pu = u, pgt = gtop, pgb = gbot, pdf = dfl)
            {
                for (int r = 0; r < n1; r++)
                {
                    double* row = q + (long)r * n, dst = pgt + (long)r * c12;
                    for (int p = 0; p < c12; p++) dst[p] = row[colAt[p]];
                }
                for (int r = 0; r < n2; r++)
                {
                    double* row = q + (long)(n1 + r) * n, dst = pgb + (long)r * c23;
                    for (int p = 0; p < c23; p++) dst[p] = row[colAt[c1 + p]];
                }
                for (int r = 0; r < len; r++)
                {
                    double* row = q + (long)r * n, dst = pdf + (long)r * nd;
                    for (int t = 0; t < nd; t++) dst[t] = row[defl[t]];
                }
                long tGemm = System.Diagnostics.Stopwatch.GetTimestamp();
                // New eigenvectors: Q[:, 0..k) = Q_nd·U (per half, over the columns not known to be zero there).
                ManagedGemm.Gemm(Op.None, Op.Transpose, n1, k, c12, 1.0, pgt, Math.Max(c12, 1), pu, k, 0.0, q, n);
                ManagedGemm.Gemm(Op.None, Op.Transpose, n2, k, c23, 1.0, pgb, Math.Max(c23, 1), pu + c1, k, 0.0, q + (long)n1 * n, n);
                Interlocked.Add(ref _mergeGemmTicks, System.Diagnostics.Stopwatch.GetTimestamp() - tGemm);
                for (int r = 0; r < len; r++)
                {
                    double* row = q + (long)r * n + k, src = pdf + (long)r * nd;
                    for (int t = 0; t < nd; t++) row[t] = src[t];
                }
            }
            for (int j = 0; j < k; j++) lam[s + j] = lamNew[j];
            for (int t = 0; t < nd; t++) lam[s + k + t] = dv[defl[t]];
        }
        finally
        {
            ArrayPool<double>.Shared.Return(u);
            ArrayPool<double>.Shared.Return(gtop);
            ArrayPool<double>.Shared.Return(gbot);
            ArrayPool<double>.Shared.Return(dfl);
        }
    }

    /// <summary>
    /// The k eigenvalues of diag(dl) + ρ·w·wᵀ (dl strictly ascending, w without zeros, ρ &gt; 0) into lam,
    /// and the unit eigenvectors into the rows of u (k×k): u[j, pos[i]] is component i of eigenvector j.
    /// </summary>
    internal static void SecularVectors(int k, double[] dl, double[] w, double rho, int[] pos, double[] lam, double[] u)
    {
        if (k == 1)
        {
            lam[0] = dl[0] + rho * w[0] * w[0];
            u[0] = 1.0;
            return;
        }
        var zsq = new double[k];
        double sum = 0;
        for (int i = 0; i < k; i++)
        {
            zsq[i] = w[i] * w[i];
            sum += zsq[i];
        }
        // delta[j, i] = dl[i] − λ_j, computed from the pole nearest λ_j so that it is accurate.
        double[] delta = ArrayPool<double>.Shared.Rent(k * k);
        try
        {
            int chunk = 32, chunks = (k + chunk - 1) / chunk;
            bool par = k >= 128 && Environment.ProcessorCount > 1;
            [MethodImpl(MethodImplOptions.AggressiveOptimization)]
            void Roots(int t)
            {
                int j1 = Math.Min(k, (t + 1) * chunk);
                for (int j = t * chunk; j < j1; j++) lam[j] = SecularRoot(k, dl, zsq, rho, sum, j, delta.AsSpan(j * k, k));
            }
            if (par) Parallel.For(0, chunks, Roots);
            else for (int t = 0; t < chunks; t++) Roots(t);
            // Gu & Eisenstat: ẑ_i² = −delta[i,i]·Π_{j≠i} delta[j,i]/(dl[i] − dl[j]) (up to the factor 1/ρ, which cancels).
            var zhat = new double[k];
            [MethodImpl(MethodImplOptions.AggressiveOptimization)]
            void Products(int t)
            {
                int i0 = t * chunk, i1 = Math.Min(k, i0 + chunk);
                for (int i = i0; i < i1; i++) zhat[i] = delta[i * k + i];
                fixed (double* pz = zhat, pdel = delta, pdl = dl)
                {
                    for (int j = 0; j < k; j++)
                    {
                        double* row = pdel + (long)j * k;
                        double dj = dl[j];
                        if (j < i0 || j >= i1) MulRatios(pz, row, pdl, dj, i0, i1);
                        else
                        {
                            MulRatios(pz, row, pdl, dj, i0, j);
                            MulRatios(pz, row, pdl, dj, j + 1, i1);
                        }
                    }
                }
                for (int i = i0; i < i1; i++) zhat[i] = Math.CopySign(Math.Sqrt(Math.Max(-zhat[i], 0)), w[i]);
            }
            if (par) Parallel.For(0, chunks, Products);
            else for (int t = 0; t < chunks; t++) Products(t);
            [MethodImpl(MethodImplOptions.AggressiveOptimization)]
            void Vectors(int t)
            {
                int j1 = Math.Min(k, (t + 1) * chunk);
                for (int j = t * chunk; j < j1; j++)
                {
                    int row = j * k;
                    double nrm;
                    fixed (double* pz = zhat, pdel = delta) nrm = DivideInto(pz, pdel + row, k);
                    double sc = 1 / Math.Sqrt(nrm);
                    for (int i = 0; i < k; i++) u[row + pos[i]] = delta[row + i] * sc;
                }
            }
            if (par) Parallel.For(0, chunks, Vectors);
            else for (int t = 0; t < chunks; t++) Vectors(t);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(delta);
        }
    }

    /// <summary>
    /// Root j of f(λ) = 1/ρ + Σ w_i²/(dl_i − λ) (in (dl_j, dl_{j+1}), or (dl_{k−1}, dl_{k−1} + ρ·Σw²] for the
    /// last), by the rational two-pole interpolation of dlaed4 (ψ, the poles up to j, modelled with the
    /// pole dl_j; φ, the poles after, with dl_{j+1}) safeguarded by bisection of a bracket. λ is carried
    /// as τ from the nearer pole so that the differences dl_i − λ are exact to working precision.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static double SecularRoot(int k, double[] dl, double[] zsq, double rho, double zsum, int j, Span<double> delta)
    {
        double rhoInv = 1 / rho, lo, hi;
        int o;
        if (j == k - 1)
        {
            o = j;
            lo = 0;
            hi = rho * zsum;
        }
        else
        {
            double half = (dl[j + 1] - dl[j]) / 2, f;
            fixed (double* pdl = dl, pzs = zsq) f = rhoInv + PoleSums(pdl, pzs, 0, k, dl[j], half).Sum;
            if (f >= 0) { o = j; lo = 0; hi = half; }
            else { o = j + 1; lo = -half; hi = 0; }
        }
        double origin = dl[o];
        double tau = (lo + hi) / 2;
        for (int iter = 0; ; iter++)
        {
            if (iter > 400)
                throw new ArithmeticException($"The symmetric eigensolver's secular equation did not converge (root {j + 1} of {k}).");
            double psi, dpsi, phi, dphi;
            fixed (double* pdl = dl, pzs = zsq)
            {
                (psi, dpsi) = PoleSums(pdl, pzs, 0, j + 1, origin, tau);
                (phi, dphi) = PoleSums(pdl, pzs, j + 1, k, origin, tau);
            }
            double f = rhoInv + psi + phi;
            if (f == 0) break;
            if (f < 0) lo = tau; else hi = tau;
            double err = 8 * (phi - psi) + 2 * rhoInv + 3 * Math.Abs(tau) * (dpsi + dphi);
            if (Math.Abs(f) <= Eps * err) break;
            if (hi - lo <= 4 * Eps * Math.Max(Math.Abs(lo), Math.Abs(hi))) break;
            // Model ψ ≈ a₁ + b₁/(p − η), φ ≈ a₂ + b₂/(q − η) (value and slope), solve for the step η.
            double p = (dl[j] - origin) - tau, b1 = dpsi * p * p, a1 = psi - dpsi * p;
            double eta = double.NaN;
            if (j < k - 1)
            {
                double qq = (dl[j + 1] - origin) - tau, b2 = dphi * qq * qq, a2 = phi - dphi * qq, c = rhoInv + a1 + a2;
                // c·(p−η)(q−η) + b₁(q−η) + b₂(p−η) = 0 ⇔ c·η² − B·η + C = 0, C = p·q·f.
                double bq = c * (p + qq) + b1 + b2, cq = p * qq * f;
                if (c == 0) eta = cq / bq;
                else
                {
                    double disc = Math.Sqrt(Math.Max(bq * bq - 4 * c * cq, 0));
                    double r1, r2;
                    if (bq >= 0) { r1 = (bq + disc) / (2 * c); r2 = 2 * cq / (bq + disc); }
                    else { r1 = 2 * cq / (bq - disc); r2 = (bq - disc) / (2 * c); }
                    bool in1 = r1 > p && r1 < qq, in2 = r2 > p && r2 < qq;
                    eta = in1 && (!in2 || Math.Abs(r1) < Math.Abs(r2)) ? r1 : r2;
                }
            }
            else
            {
                double c = rhoInv + a1 + phi;
                if (c > 0) eta = p + b1 / c;
            }
            double next = tau + eta;
            if (!(next > lo && next < hi)) next = (lo + hi) / 2;
            if (next == tau) break;
            tau = next;
        }
        for (int i = 0; i < k; i++) delta[i] = (dl[i] - origin) - tau;
        return origin + tau;
    }
    /// <summary>
    /// Σ zsq[i]·r_i and Σ zsq[i]·r_i² over i in [i0, i1), r_i = 1/((dl[i] − origin) − τ): the secular
    /// function's pole terms and their slope, four poles per vector division.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double Sum, double Slope) PoleSums(double* dl, double* zsq, int i0, int i1, double origin, double tau)
    {
        var vo = Vector256.Create(origin);
        var vt = Vector256.Create(tau);
        var one = Vector256.Create(1.0);
        Vector256<double> vs = default, vd = default;
        int i = i0;
        for (; i + 4 <= i1; i += 4)
        {
            var r = one / ((Vector256.Load(dl + i) - vo) - vt);
            var t = Vector256.Load(zsq + i) * r;
            vs += t;
            vd = Vector256.FusedMultiplyAdd(t, r, vd);
        }
        double sum = Vector256.Sum(vs), slope = Vector256.Sum(vd);
        for (; i < i1; i++)
        {
            double r = 1 / ((dl[i] - origin) - tau), t = zsq[i] * r;
            sum += t;
            slope += t * r;
        }
        return (sum, slope);
    }

    /// <summary>z[i] *= delta[i]/(dl[i] − dj) for i in [i0, i1) (Gu–Eisenstat's product, four at a time).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MulRatios(double* z, double* delta, double* dl, double dj, int i0, int i1)
    {
        var vdj = Vector256.Create(dj);
        int i = i0;
        for (; i + 4 <= i1; i += 4)
            (Vector256.Load(z + i) * (Vector256.Load(delta + i) / (Vector256.Load(dl + i) - vdj))).Store(z + i);
        for (; i < i1; i++) z[i] *= delta[i] / (dl[i] - dj);
    }

    /// <summary>v[i] ← z[i]/v[i] for i in [0, len); returns Σ v[i]² (an unnormalised eigenvector and its squared norm).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double DivideInto(double* z, double* v, int len)
    {
        Vector256<double> acc = default;
        int i = 0;
        for (; i + 4 <= len; i += 4)
        {
            var q = Vector256.Load(z + i) / Vector256.Load(v + i);
            q.Store(v + i);
            acc = Vector256.FusedMultiplyAdd(q, q, acc);
        }
        double nrm = Vector256.Sum(acc);
        for (; i < len; i++)
        {
            double q = z[i] / v[i];
            v[i] = q;
            nrm += q * q;
        }
        return nrm;
    }
}
