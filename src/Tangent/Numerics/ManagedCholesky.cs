using System.Numerics;

namespace Tangent.Numerics;

/// <summary>
/// Blocked Cholesky factorization and triangular solves on raw row-major storage, with almost all
/// of the work in <see cref="ManagedGemm"/> (LAPACK's DPOTRF/DTRSM strategy: Golub &amp; Van Loan,
/// "Matrix Computations", 4th ed., §4.2.9 block Cholesky; recursive TRSM as in Elmroth et al. 2004,
/// "Recursive blocked algorithms and hybrid data structures for dense matrix library software").
/// </summary>
internal static unsafe class ManagedCholesky
{
    /// <summary>Block size of the right-looking factorization (one KC-deep GEMM update per block);
    /// 0 (the default) selects the recursive algorithm, which measured faster here.</summary>
    internal static int BlockSize;

    /// <summary>Triangles up to this order are solved by plain substitution.</summary>
    internal static int TrsmLeaf = 32;

    /// <summary>
    /// Cholesky of the lower triangle, recursive by default, else right-looking blocked.
    /// </summary>
    /// <returns>0, or the 1-based index of the first pivot that was not positive.</returns>
    public static int Potrf(int n, double* a, long lda)
    {
        int result = BlockSize <= 0 ? PotrfRecursive(n, a, lda) : PotrfBlocked(n, a, lda);
        if (result == 0)
            for (int i = 0; i < n; i++) new Span<double>(a + i * lda + i + 1, n - i - 1).Clear();
        return result;
    }

    /// <summary>
    /// Right-looking blocked Cholesky of the lower triangle (GVL Alg. 4.2.3 in blocks): for each block
    /// column, A11 = L11·L11ᵀ (recursive), L21 = A21·L11⁻ᵀ (TRSM), A22 ← A22 − L21·L21ᵀ (SYRK, lower part).
    /// </summary>
    private static int PotrfBlocked(int n, double* a, long lda)
    {
        for (int j = 0; j < n; j += BlockSize)
        {
            int jb = Math.Min(BlockSize, n - j);
            double* a11 = a + j * lda + j;
            int info = PotrfRecursive(jb, a11, lda);
            if (info > 0) return j + info;
            int rest = n - j - jb;
            if (rest == 0) break;
            double* a21 = a + (j + jb) * lda + j;
            TrsmRightLowerTranspose(rest, jb, a11, lda, a21, lda);
            double* a22 = a21 + jb;
            ManagedGemm.Gemm(Op.None, Op.Transpose, rest, rest, jb, -1.0, a21, lda, a21, lda, 1.0, a22, lda, ManagedGemm.Part.Lower);
        }
        return 0;
    }

    /// <summary>Recursive Cholesky (Gustavson 1997; Ahmed &amp; Pingali 2000): factor A11, L21 = A21·L11⁻ᵀ,
    /// A22 ← A22 − L21·L21ᵀ, factor A22; the two middle steps are GEMM-rich at every level.</summary>
    private static int PotrfRecursive(int n, double* a, long lda)
    {
        if (n <= TrsmLeaf) return Potf2(n, a, lda);
        int n1 = Split(n), n2 = n - n1;
        int info = PotrfRecursive(n1, a, lda);
        if (info > 0) return info;
        double* a21 = a + n1 * lda;
        TrsmRightLowerTranspose(n2, n1, a, lda, a21, lda);
        ManagedGemm.Gemm(Op.None, Op.Transpose, n2, n2, n1, -1.0, a21, lda, a21, lda, 1.0, a21 + n1, lda, ManagedGemm.Part.Lower);
        info = PotrfRecursive(n2, a21 + n1, lda);
        return info > 0 ? n1 + info : 0;
    }

    /// <summary>Unblocked row-oriented Cholesky–Crout: L[i,j] = (A[i,j] − L[i,:j]·L[j,:j]) / L[j,j].</summary>
    private static int Potf2(int n, double* a, long lda)
    {
        for (int j = 0; j < n; j++)
        {
            double* lj = a + j * lda;
            double d = lj[j] - Dot(lj, lj, j);
            if (!(d > 0)) return j + 1;
            double ljj = Math.Sqrt(d);
            lj[j] = ljj;
            double inv = 1.0 / ljj;
            for (int i = j + 1; i < n; i++)
            {
                double* li = a + i * lda;
                li[j] = (li[j] - Dot(li, lj, j)) * inv;
            }
        }
        return 0;
    }

    /// <summary>Solves X·Lᵀ = B in place (B rows×n, L n×n lower): DTRSM side right, lower, transposed.
    /// Recursive: split L into 2×2 blocks, X1·L11ᵀ = B1, B2 −= X1·L21ᵀ (GEMM), X2·L22ᵀ = B2.</summary>
    internal static void TrsmRightLowerTranspose(int rows, int n, double* l, long ldl, double* b, long ldb)
    {
        if (rows == 0 || n == 0) return;
        if (n <= TrsmLeaf)
        {
            // Row r: x[c] = (b[c] − x[:c]·L[c,:c]) / L[c,c]. Rows are independent, so they are
            // taken W at a time with the W rows side by side in one vector (a transposed tile).
            int w = Vector<double>.Count;
            int groups = rows / w;
            void Group(int g0, int g1)
            {
                var tile = stackalloc Vector<double>[n];
                var lane = stackalloc double[w];
                for (int g = g0; g < g1; g++)
                {
                    double* b0 = b + (long)g * w * ldb;
                    for (int c = 0; c < n; c++)
                    {
                        for (int q = 0; q < w; q++) lane[q] = b0[q * ldb + c];
                        tile[c] = *(Vector<double>*)lane;
                    }
                    for (int c = 0; c < n; c++)
                    {
                        double* lc = l + c * ldl;
                        var acc = tile[c];
                        for (int p = 0; p < c; p++) acc -= new Vector<double>(lc[p]) * tile[p];
                        tile[c] = acc / new Vector<double>(lc[c]);
                    }
                    for (int c = 0; c < n; c++)
                    {
                        *(Vector<double>*)lane = tile[c];
                        for (int q = 0; q < w; q++) b0[q * ldb + c] = lane[q];
                    }
                }
            }
            if ((long)rows * n * n >= 1 << 17 && Environment.ProcessorCount > 1 && groups > 16)
            {
                const int chunk = 16;
                Parallel.For(0, (groups + chunk - 1) / chunk, t => Group(t * chunk, Math.Min(groups, (t + 1) * chunk)));
            }
            else
                Group(0, groups);
            for (int r = groups * w; r < rows; r++)
            {
                double* x = b + r * ldb;
                for (int c = 0; c < n; c++)
                {
                    double* lc = l + c * ldl;
                    x[c] = (x[c] - Dot(x, lc, c)) / lc[c];
                }
            }
            return;
        }
        int n1 = Split(n), n2 = n - n1;
        TrsmRightLowerTranspose(rows, n1, l, ldl, b, ldb);
        ManagedGemm.Gemm(Op.None, Op.Transpose, rows, n2, n1, -1.0, b, ldb, l + n1 * ldl, ldl, 1.0, b + n1, ldb);
        TrsmRightLowerTranspose(rows, n2, l + n1 * ldl + n1, ldl, b + n1, ldb);
    }

    /// <summary>Solves op(L)·X = B in place (L n×n lower, B n×nrhs): DTRSM side left, lower.
    /// Recursive on L's 2×2 blocks with GEMM updates; leaves are row substitutions.</summary>
    internal static void TrsmLeftLower(Op trans, int n, int nrhs, double* l, long ldl, double* b, long ldb)
    {
        if (n == 0 || nrhs == 0) return;
        if (nrhs < 8 && n > TrsmLeaf)
        {
            FewRightHandSides(trans, n, nrhs, l, ldl, b, ldb);
            return;
        }
        if (n <= TrsmLeaf)
        {
            LeftLeaf(trans, n, nrhs, l, ldl, b, ldb);
            return;
        }
        int n1 = Split(n), n2 = n - n1;
        double* l21 = l + n1 * ldl, l22 = l21 + n1, b2 = b + n1 * ldb;
        if (trans == Op.None)
        {
            TrsmLeftLower(Op.None, n1, nrhs, l, ldl, b, ldb);
            ManagedGemm.Gemm(Op.None, Op.None, n2, nrhs, n1, -1.0, l21, ldl, b, ldb, 1.0, b2, ldb);
            TrsmLeftLower(Op.None, n2, nrhs, l22, ldl, b2, ldb);
        }
        else
        {
            TrsmLeftLower(Op.Transpose, n2, nrhs, l22, ldl, b2, ldb);
            ManagedGemm.Gemm(Op.Transpose, Op.None, n1, nrhs, n2, -1.0, l21, ldl, b2, ldb, 1.0, b, ldb);
            TrsmLeftLower(Op.Transpose, n1, nrhs, l, ldl, b, ldb);
        }
    }

    /// <summary>
    /// One right-hand side at a time, copied into a contiguous vector: forward substitution as dot
    /// products with the rows of L, back substitution (Lᵀ) as axpys with the rows of L, so both run
    /// along contiguous rows (DTRSV in its row-major "dot" and "axpy" forms).
    /// </summary>
    private static void FewRightHandSides(Op trans, int n, int nrhs, double* l, long ldl, double* b, long ldb)
    {
        var x = new double[n];
        fixed (double* px = x)
        {
            for (int j = 0; j < nrhs; j++)
            {
                for (int i = 0; i < n; i++) px[i] = b[i * ldb + j];
                if (trans == Op.None)
                {
                    for (int i = 0; i < n; i++)
                    {
                        double* li = l + i * ldl;
                        px[i] = (px[i] - Dot(li, px, i)) / li[i];
                    }
                }
                else
                {
                    for (int i = n - 1; i >= 0; i--)
                    {
                        double* li = l + i * ldl;
                        px[i] /= li[i];
                        Axpy(-px[i], li, px, i);
                    }
                }
                for (int i = 0; i < n; i++) b[i * ldb + j] = px[i];
            }
        }
    }

    /// <summary>Substitution over rows of B; columns of B are split among threads when there are many.</summary>
    private static void LeftLeaf(Op trans, int n, int nrhs, double* l, long ldl, double* b, long ldb)
    {
        void Columns(int j0, int w)
        {
            if (trans == Op.None)
            {
                // X[i,:] = (B[i,:] − Σ_{p<i} L[i,p]·X[p,:]) / L[i,i].
                for (int i = 0; i < n; i++)
                {
                    double* xi = b + i * ldb + j0;
                    double* li = l + i * ldl;
                    for (int p = 0; p < i; p++)
                        if (li[p] != 0) Axpy(-li[p], b + p * ldb + j0, xi, w);
                    Scale(1.0 / li[i], xi, w);
                }
            }
            else
            {
                // X[i,:] = (B[i,:] − Σ_{p>i} L[p,i]·X[p,:]) / L[i,i], applied as a column sweep.
                for (int i = n - 1; i >= 0; i--)
                {
                    double* xi = b + i * ldb + j0;
                    double* li = l + i * ldl;
                    Scale(1.0 / li[i], xi, w);
                    for (int p = 0; p < i; p++)
                        if (li[p] != 0) Axpy(-li[p], xi, b + p * ldb + j0, w);
                }
            }
        }
        const int chunk = 256;
        if (nrhs >= 2 * chunk && (long)n * n * nrhs >= 1 << 18 && Environment.ProcessorCount > 1)
        {
            int chunks = (nrhs + chunk - 1) / chunk;
            Parallel.For(0, chunks, t => Columns(t * chunk, Math.Min(chunk, nrhs - t * chunk)));
        }
        else
            Columns(0, nrhs);
    }

    /// <summary>A split point that keeps the first half a multiple of 8 (aligned GEMM panels).</summary>
    private static int Split(int n) => n >= 16 ? n / 2 / 8 * 8 : n / 2;

    internal static double Dot(double* x, double* y, int len)
    {
        int i = 0, w = Vector<double>.Count;
        var acc = Vector<double>.Zero;
        for (; i <= len - w; i += w)
            acc += *(Vector<double>*)(x + i) * *(Vector<double>*)(y + i);
        double s = Vector.Sum(acc);
        for (; i < len; i++) s += x[i] * y[i];
        return s;
    }

    internal static void Axpy(double s, double* x, double* y, int len)
    {
        int i = 0, w = Vector<double>.Count;
        var vs = new Vector<double>(s);
        for (; i <= len - w; i += w)
            *(Vector<double>*)(y + i) += vs * *(Vector<double>*)(x + i);
        for (; i < len; i++) y[i] += s * x[i];
    }

    private static void Scale(double s, double* x, int len)
    {
        for (int i = 0; i < len; i++) x[i] *= s;
    }
}
