using Tangent.Numerics;

namespace Tangent.Dynamics;

/// <summary>Small dense helpers for the dynamics formulas (all allocate their result).</summary>
internal static class DenseOps
{
    public static Matrix Mul(Matrix a, Matrix b, ILinearAlgebraProvider p, Op ta = Op.None, Op tb = Op.None)
        => LinearAlgebra.Multiply(a, b, ta, tb, p);

    /// <summary>A·diag(s).</summary>
    public static Matrix ScaleColumns(Matrix a, double[] s) => ScaleColumns(a, s, new Matrix(a.Rows, a.Cols));

    /// <summary>A·diag(s) written into <paramref name="r"/> (same shape as A; returned).</summary>
    public static Matrix ScaleColumns(Matrix a, double[] s, Matrix r)
    {
        Parallel.For(0, a.Rows, i =>
        {
            var src = a.Row(i);
            var dst = r.Row(i);
            for (int j = 0; j < src.Length; j++) dst[j] = src[j] * s[j];
        });
        return r;
    }

    /// <summary>diag(s)·A.</summary>
    public static Matrix ScaleRows(Matrix a, double[] s)
    {
        var r = new Matrix(a.Rows, a.Cols);
        for (int i = 0; i < a.Rows; i++)
        {
            var src = a.Row(i);
            var dst = r.Row(i);
            double si = s[i];
            for (int j = 0; j < src.Length; j++) dst[j] = src[j] * si;
        }
        return r;
    }

    /// <summary>Σ_j a_ij·b_ij for each row i (the diagonal of A·Bᵀ).</summary>
    public static double[] RowDots(Matrix a, Matrix b)
    {
        var d = new double[a.Rows];
        Parallel.For(0, a.Rows, i =>
        {
            var x = a.Row(i);
            var y = b.Row(i);
            double s = 0;
            for (int j = 0; j < x.Length; j++) s += x[j] * y[j];
            d[i] = s;
        });
        return d;
    }

    /// <summary>Σ_i a_ij·b_ij for each column j (the diagonal of Aᵀ·B).</summary>
    public static double[] ColumnDots(Matrix a, Matrix b)
    {
        var d = new double[a.Cols];
        for (int i = 0; i < a.Rows; i++)
        {
            var x = a.Row(i);
            var y = b.Row(i);
            for (int j = 0; j < x.Length; j++) d[j] += x[j] * y[j];
        }
        return d;
    }

    /// <summary>a + s·b (a new matrix).</summary>
    public static Matrix AddScaled(Matrix a, double s, Matrix b)
    {
        var r = a.Clone();
        for (int i = 0; i < r.Data.Length; i++) r.Data[i] += s * b.Data[i];
        return r;
    }

    /// <summary>A + Aᵀ added to C in place, times s: C += s·(A + Aᵀ).</summary>
    public static void AddSymmetricPart(Matrix c, double s, Matrix a)
    {
        int n = c.Rows;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                c[i, j] += s * (a[i, j] + a[j, i]);
    }

    /// <summary>Makes C exactly symmetric: (C + Cᵀ)/2.</summary>
    public static void Symmetrize(Matrix c)
    {
        int n = c.Rows;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
            {
                double v = 0.5 * (c[i, j] + c[j, i]);
                c[i, j] = v;
                c[j, i] = v;
            }
    }
}
