using System.Numerics;
using System.Runtime.CompilerServices;

namespace Tangent.Numerics;

public sealed unsafe partial class ManagedProvider
{
    /// <summary>Orders above this take the LAPACK-style path (<see cref="ManagedEigen"/>); up to it, tred2/tql2.</summary>
    internal static int EigenSmallOrder = 64;

    /// <inheritdoc />
    /// <remarks>
    /// Above order <see cref="EigenSmallOrder"/>: blocked Householder tridiagonalisation, divide and
    /// conquer and a blocked back-transformation, as LAPACK's dsyevd (<see cref="ManagedEigen"/>).
    /// Up to it: Householder tridiagonalization followed by the implicit QL algorithm (the classic tred2/tql2
    /// pair, Wilkinson &amp; Reinsch, Handbook for Automatic Computation vol. II), arranged so that every
    /// inner loop runs along a contiguous row: the working matrix is kept transposed (U = Vᵀ as
    /// jagged rows), the loops are vectorized, and the QL rotations of one sweep are applied to the
    /// eigenvector rows in parallel column strips.
    /// </remarks>
    public void Syevd(int n, Span<double> a, int lda, Span<double> w)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (n == 0) return;
        MatrixArguments.Check("A", a.Length, n, n, lda);
        if (w.Length < n) throw new ArgumentException($"w holds {w.Length} values; {n} eigenvalues need room.", nameof(w));
        if (n > EigenSmallOrder)
        {
            fixed (double* pa = a)
                ManagedEigen.Syevd(n, pa, lda, w);
            return;
        }
        SyevdQl(n, a, lda, w);
    }

    /// <summary>The tred2/tql2 path for any order (the small-order path, and the reference of the tests).</summary>
    internal static void SyevdQl(int n, Span<double> a, int lda, Span<double> w)
    {
        var u = new double[n][];
        for (int i = 0; i < n; i++) u[i] = new double[n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
                u[i][j] = u[j][i] = a[i * lda + j];
        var d = new double[n];
        var e = new double[n];
        Tred2(n, u, d, e);
        Tql2(n, u, d, e);
        // u[j] is the eigenvector of d[j]: V[i, j] = u[j][i].
        for (int i = 0; i < n; i++)
        {
            w[i] = d[i];
            for (int j = 0; j < n; j++) a[i * lda + j] = u[j][i];
        }
    }

    /// <summary>tred2 on U = Vᵀ: every V[r, c] of the textbook code reads U[c][r] here.</summary>
    private static void Tred2(int n, double[][] U, double[] d, double[] e)
    {
        for (int j = 0; j < n; j++) d[j] = U[j][n - 1];
        for (int i = n - 1; i > 0; i--)
        {
            double scale = 0.0, h = 0.0;
            for (int k = 0; k < i; k++) scale += Math.Abs(d[k]);
            if (scale == 0.0)
            {
                e[i] = d[i - 1];
                for (int j = 0; j < i; j++)
                {
                    d[j] = U[j][i - 1];
                    U[j][i] = 0.0;
                    U[i][j] = 0.0;
                }
            }
            else
            {
                for (int k = 0; k < i; k++)
                {
                    d[k] /= scale;
                    h += d[k] * d[k];
                }
                double f = d[i - 1];
                double g = Math.Sqrt(h);
                if (f > 0) g = -g;
                e[i] = scale * g;
                h -= f * g;
                d[i - 1] = f - g;
                // The active block U[0..i)[0..i) is kept fully symmetric (the textbook code updates one
                // triangle only), so p = A·d and the rank-2 update run along whole rows, in parallel.
                // Row i is free: it takes the Householder vector (V[j, i] = d[j]).
                for (int j = 0; j < i; j++) U[i][j] = d[j];
                int len = i;
                bool par = (long)len * len >= 1 << 16 && Environment.ProcessorCount > 1;
                RowsParallel(len, par, j => e[j] = Dot(U[j].AsSpan(0, len), d.AsSpan(0, len)));
                f = 0.0;
                for (int j = 0; j < i; j++)
                {
                    e[j] /= h;
                    f += e[j] * d[j];
                }
                double hh = f / (h + h);
                for (int j = 0; j < i; j++) e[j] -= hh * d[j];
                // A ← A − d·eᵀ − e·dᵀ.
                RowsParallel(len, par, j => Rank2Update(U[j].AsSpan(0, len), -d[j], e.AsSpan(0, len), -e[j], d.AsSpan(0, len)));
                for (int j = 0; j < i; j++)
                {
                    d[j] = U[j][i - 1];
                    U[j][i] = 0.0;
                }
            }
            d[i] = h;
        }
        // Accumulate the transformations.
        for (int i = 0; i < n - 1; i++)
        {
            U[i][n - 1] = U[i][i];
            U[i][i] = 1.0;
            double h = d[i + 1];
            var ui1 = U[i + 1];
            if (h != 0.0)
            {
                for (int k = 0; k <= i; k++) d[k] = ui1[k] / h;
                int len = i + 1;
                void Column(int j)
                {
                    var uj = U[j].AsSpan(0, len);
                    double g = Dot(ui1.AsSpan(0, len), uj);
                    Axpy(-g, d.AsSpan(0, len), uj);
                }
                if ((long)len * len >= 1 << 16 && Environment.ProcessorCount > 1)
                    Parallel.For(0, (len + 63) / 64, t =>
                    {
                        int j1 = Math.Min(len, (t + 1) * 64);
                        for (int j = t * 64; j < j1; j++) Column(j);
                    });
                else
                    for (int j = 0; j <= i; j++) Column(j);
            }
            Array.Clear(ui1, 0, i + 1);
        }
        for (int j = 0; j < n; j++)
        {
            d[j] = U[j][n - 1];
            U[j][n - 1] = 0.0;
        }
        U[n - 1][n - 1] = 1.0;
        e[0] = 0.0;
    }

    /// <summary>Runs body(j) for j in [0, count), in 64-row chunks over threads when asked.</summary>
    private static void RowsParallel(int count, bool parallel, Action<int> body)
    {
        if (!parallel)
        {
            for (int j = 0; j < count; j++) body(j);
            return;
        }
        Parallel.For(0, (count + 63) / 64, t =>
        {
            int j1 = Math.Min(count, (t + 1) * 64);
            for (int j = t * 64; j < j1; j++) body(j);
        });
    }

    /// <summary>tql2 with the eigenvectors as rows: W[i] is column i of the textbook V.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Tql2(int n, double[][] W, double[] d, double[] e)
    {
        for (int i = 1; i < n; i++) e[i - 1] = e[i];
        e[n - 1] = 0.0;
        double f = 0.0, tst1 = 0.0, eps = Math.Pow(2.0, -52.0);
        var rotations = new RotationBuffer(n, W);
        for (int l = 0; l < n; l++)
        {
            tst1 = Math.Max(tst1, Math.Abs(d[l]) + Math.Abs(e[l]));
            int m = l;
            while (m < n)
            {
                if (Math.Abs(e[m]) <= eps * tst1) break;
                m++;
            }
            if (m == n) m = n - 1;
            if (m > l)
            {
                int iter = 0;
                do
                {
                    if (++iter > 60 * n + 100)
                        throw new ArithmeticException("The symmetric eigensolver (QL iteration) did not converge; the matrix may contain NaN or infinity.");
                    double g = d[l];
                    double p = (d[l + 1] - g) / (2.0 * e[l]);
                    double r = Hypot(p, 1.0);
                    if (p < 0) r = -r;
                    d[l] = e[l] / (p + r);
                    d[l + 1] = e[l] * (p + r);
                    double dl1 = d[l + 1];
                    double h = g - d[l];
                    for (int i = l + 2; i < n; i++) d[i] -= h;
                    f += h;
                    p = d[m];
                    double c = 1.0, c2 = c, c3 = c, el1 = e[l + 1], s = 0.0, s2 = 0.0;
                    for (int i = m - 1; i >= l; i--)
                    {
                        c3 = c2;
                        c2 = c;
                        s2 = s;
                        g = c * e[i];
                        h = c * p;
                        r = Hypot(p, e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r;
                        c = p / r;
                        p = c * d[i] - s * g;
                        d[i + 1] = h + s * (c * g + s * d[i]);
                        rotations.Add(i, c, s);
                    }
                    rotations.FlushIfFull();
                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                } while (Math.Abs(e[l]) > eps * tst1);
            }
            d[l] += f;
            e[l] = 0.0;
        }
        rotations.Flush();
        // Sort eigenvalues ascending, with their vectors.
        for (int i = 0; i < n - 1; i++)
        {
            int k = i;
            double p = d[i];
            for (int j = i + 1; j < n; j++)
                if (d[j] < p) { k = j; p = d[j]; }
            if (k != i)
            {
                d[k] = d[i];
                d[i] = p;
                (W[i], W[k]) = (W[k], W[i]);
            }
        }
    }

    /// <summary>
    /// Givens rotations of the QL sweeps, recorded in order and applied to the eigenvector rows in
    /// batches: each thread takes a strip of columns narrow enough for the strip of all n rows to
    /// stay in its L2 cache, and applies the whole batch there. The rotations depend only on the
    /// tridiagonal, never on W, so deferring them changes nothing but the memory traffic.
    /// </summary>
    internal sealed class RotationBuffer(int n, double[][] w)
    {
        /// <summary>Doubles of W a strip may span (all n rows × the strip width): 2 MiB, about one L2.</summary>
        internal static int RotationStripBudget = 262144;

        private readonly int[] _row = new int[Capacity(n)];
        private readonly double[] _c = new double[Capacity(n)];
        private readonly double[] _s = new double[Capacity(n)];
        private int _count;

        private static int Capacity(int n) => Math.Max(2 * n, Math.Min(n * n, 1 << 20));

        public void Add(int i, double c, double s)
        {
            _row[_count] = i;
            _c[_count] = c;
            _s[_count] = s;
            _count++;
        }

        /// <summary>Flushes when another sweep (at most n − 1 rotations) might not fit.</summary>
        public void FlushIfFull()
        {
            if (_count + n > _row.Length) Flush();
        }

        public void Flush()
        {
            if (_count == 0) return;
            int strip = Math.Clamp(RotationStripBudget / n / 8 * 8, 64, 1024);
            int strips = (n + strip - 1) / strip;
            void Strip(int t)
            {
                int k0 = t * strip, len = Math.Min(strip, n - k0);
                for (int r = 0; r < _count; r++)
                {
                    int i = _row[r];
                    Rotate(w[i].AsSpan(k0, len), w[i + 1].AsSpan(k0, len), _c[r], _s[r]);
                }
            }
            if (strips > 1 && (long)_count * n >= 1 << 15 && Environment.ProcessorCount > 1)
                Parallel.For(0, strips, Strip);
            else
                for (int t = 0; t < strips; t++) Strip(t);
            _count = 0;
        }
    }

    /// <summary>(x, y) ← (c·x − s·y, s·x + c·y) elementwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rotate(Span<double> x, Span<double> y, double c, double s)
    {
        int k = 0, w = Vector<double>.Count;
        var vc = new Vector<double>(c);
        var vs = new Vector<double>(s);
        for (; k <= x.Length - w; k += w)
        {
            var xv = new Vector<double>(x[k..]);
            var yv = new Vector<double>(y[k..]);
            (vs * xv + vc * yv).CopyTo(y[k..]);
            (vc * xv - vs * yv).CopyTo(x[k..]);
        }
        for (; k < x.Length; k++)
        {
            double h = y[k];
            y[k] = s * x[k] + c * h;
            x[k] = c * x[k] - s * h;
        }
    }

    private static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        int k = 0, w = Vector<double>.Count;
        var acc = Vector<double>.Zero;
        for (; k <= x.Length - w; k += w) acc += new Vector<double>(x[k..]) * new Vector<double>(y[k..]);
        double s = Vector.Sum(acc);
        for (; k < x.Length; k++) s += x[k] * y[k];
        return s;
    }

    private static void Axpy(double a, ReadOnlySpan<double> x, Span<double> y)
    {
        int k = 0, w = Vector<double>.Count;
        var va = new Vector<double>(a);
        for (; k <= x.Length - w; k += w) (new Vector<double>(y[k..]) + va * new Vector<double>(x[k..])).CopyTo(y[k..]);
        for (; k < x.Length; k++) y[k] += a * x[k];
    }

    /// <summary>x[k] += α·y[k] + β·z[k].</summary>
    private static void Rank2Update(Span<double> x, double alpha, ReadOnlySpan<double> y, double beta, ReadOnlySpan<double> z)
    {
        int k = 0, w = Vector<double>.Count;
        var va = new Vector<double>(alpha);
        var vb = new Vector<double>(beta);
        for (; k <= x.Length - w; k += w)
            (new Vector<double>(x[k..]) + va * new Vector<double>(y[k..]) + vb * new Vector<double>(z[k..])).CopyTo(x[k..]);
        for (; k < x.Length; k++) x[k] += alpha * y[k] + beta * z[k];
    }

    private static double Hypot(double a, double b)
    {
        double aa = Math.Abs(a), bb = Math.Abs(b);
        if (aa > bb) { double r = bb / aa; return aa * Math.Sqrt(1 + r * r); }
        if (bb == 0) return 0;
        { double r = aa / bb; return bb * Math.Sqrt(1 + r * r); }
    }
}
