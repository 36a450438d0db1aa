using System.Numerics;

namespace Tangent.Numerics;

/// <summary>
/// Dense linear algebra in plain C#: SIMD through <see cref="Vector{T}"/> and multithreading through
/// <see cref="Parallel"/>. Always available; the reference for the native provider's tests.
/// </summary>
public sealed partial class ManagedProvider : ILinearAlgebraProvider
{
    /// <summary>The shared instance.</summary>
    public static ManagedProvider Instance { get; } = new();

    /// <inheritdoc />
    public string Name => "managed";

    /// <inheritdoc />
    public string Description => $"managed C# (Vector<double> width {Vector<double>.Count}, {Environment.ProcessorCount} threads)";

    /// <inheritdoc />
    public void Gemm(Op transA, Op transB, int m, int n, int k, double alpha,
        ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb,
        double beta, Span<double> c, int ldc)
    {
        if (m == 0 || n == 0) return;
        // Pack op(A) (m×k) and op(B) (k×n) row-major, then C[i,:] += Σ_p A[i,p]·B[p,:] (axpy rows).
        double[] ap = Pack(transA, m, k, a, lda);
        double[] bp = Pack(transB, k, n, b, ldb);
        double[] cc = new double[(long)m * n];
        Parallel.For(0, m, i =>
        {
            var row = cc.AsSpan(i * n, n);
            for (int p = 0; p < k; p++)
            {
                double s = ap[i * k + p];
                if (s == 0) continue;
                Axpy(s, bp.AsSpan(p * n, n), row);
            }
        });
        for (int i = 0; i < m; i++)
        {
            var ci = c.Slice(i * ldc, n);
            var src = cc.AsSpan(i * n, n);
            if (beta == 0) for (int j = 0; j < n; j++) ci[j] = alpha * src[j];
            else for (int j = 0; j < n; j++) ci[j] = alpha * src[j] + beta * ci[j];
        }
    }

    /// <inheritdoc />
    public void Syrk(int n, int k, double alpha, ReadOnlySpan<double> a, int lda, double beta, Span<double> c, int ldc)
        => Gemm(Op.None, Op.Transpose, n, n, k, alpha, a, lda, a, lda, beta, c, ldc);

    /// <inheritdoc />
    public int Potrf(int n, Span<double> a, int lda)
    {
        // Row-oriented Cholesky–Crout: L[i,j] = (A[i,j] - L[i,:j]·L[j,:j]) / L[j,j].
        for (int j = 0; j < n; j++)
        {
            var lj = a.Slice(j * lda, j);
            double d = a[j * lda + j] - Dot(lj, lj);
            if (!(d > 0)) return j + 1;
            double ljj = Math.Sqrt(d);
            a[j * lda + j] = ljj;
            for (int i = j + 1; i < n; i++)
            {
                var li = a.Slice(i * lda, j);
                a[i * lda + j] = (a[i * lda + j] - Dot(li, lj)) / ljj;
            }
        }
        for (int i = 0; i < n; i++)
            a.Slice(i * lda + i + 1, n - i - 1).Clear();
        return 0;
    }

    /// <inheritdoc />
    public void Trsm(Op trans, int n, int nrhs, ReadOnlySpan<double> l, int ldl, Span<double> b, int ldb)
    {
        if (trans == Op.None)
        {
            // Forward substitution, row by row: X[i,:] = (B[i,:] - Σ_{p<i} L[i,p]·X[p,:]) / L[i,i].
            for (int i = 0; i < n; i++)
            {
                var xi = b.Slice(i * ldb, nrhs);
                for (int p = 0; p < i; p++)
                {
                    double s = l[i * ldl + p];
                    if (s != 0) Axpy(-s, b.Slice(p * ldb, nrhs), xi);
                }
                Scale(1.0 / l[i * ldl + i], xi);
            }
        }
        else
        {
            // Back substitution with Lᵀ: X[i,:] = (B[i,:] - Σ_{p>i} L[p,i]·X[p,:]) / L[i,i].
            for (int i = n - 1; i >= 0; i--)
            {
                var xi = b.Slice(i * ldb, nrhs);
                Scale(1.0 / l[i * ldl + i], xi);
                for (int p = 0; p < i; p++)
                {
                    double s = l[i * ldl + p];
                    if (s != 0) Axpy(-s, xi, b.Slice(p * ldb, nrhs));
                }
            }
        }
    }

    private static double[] Pack(Op op, int rows, int cols, ReadOnlySpan<double> src, int ld)
    {
        var dst = new double[(long)rows * cols];
        if (op == Op.None)
            for (int i = 0; i < rows; i++) src.Slice(i * ld, cols).CopyTo(dst.AsSpan(i * cols, cols));
        else
            for (int j = 0; j < cols; j++)
                for (int i = 0; i < rows; i++) dst[i * cols + j] = src[j * ld + i];
        return dst;
    }

    internal static void Axpy(double s, ReadOnlySpan<double> x, Span<double> y)
    {
        int i = 0, w = Vector<double>.Count;
        var vs = new Vector<double>(s);
        for (; i <= x.Length - w; i += w)
            (new Vector<double>(y.Slice(i)) + vs * new Vector<double>(x.Slice(i))).CopyTo(y.Slice(i));
        for (; i < x.Length; i++) y[i] += s * x[i];
    }

    internal static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        int i = 0, w = Vector<double>.Count;
        var acc = Vector<double>.Zero;
        for (; i <= x.Length - w; i += w) acc += new Vector<double>(x.Slice(i)) * new Vector<double>(y.Slice(i));
        double s = Vector.Sum(acc);
        for (; i < x.Length; i++) s += x[i] * y[i];
        return s;
    }

    private static void Scale(double s, Span<double> x)
    {
        for (int i = 0; i < x.Length; i++) x[i] *= s;
    }
}
