using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Tangent.Numerics;

/// <summary>
/// Inner products of float32 rows in float32 arithmetic, for the input Gram X1·X2ᵀ/d of a network kernel computed with
/// <c>ComputeOptions.Precision = Precision.Float32</c> (docs/PRECISION.md). Products and sums are float32 (fused multiply-add,
/// one accumulator per SIMD lane) within blocks of <see cref="BlockLength"/> coordinates; each block's lanes are summed in
/// float64 and the blocks are added in float64, so the rounding error grows with the block length, not with d.
/// Every entry is computed by the same sequence of operations whatever its place in a tile, so
/// <see cref="Dot"/>(x, x) equals the diagonal entry of <see cref="MultiplyTransposed"/> bit for bit, and the product is
/// symmetric: entry (i, j) of X·Xᵀ equals entry (j, i).
/// </summary>
public static class SingleGram
{
    /// <summary>Coordinates summed in float32 before the partial sum is added in float64.</summary>
    public const int BlockLength = 256;

    /// <summary>
    /// Rounds each row of a float64 matrix to float32 after dividing it by a power of two, <paramref name="scales"/>[i], that
    /// brings its largest magnitude into [1, 2): the division is exact, products of scaled entries cannot overflow float32
    /// and rows of any magnitude keep float32's full relative precision (2⁻²⁴). Row i of the matrix is
    /// scales[i]·(row i of the result) up to that rounding; a row of zeros has scale 1.
    /// </summary>
    /// <param name="m">The matrix (finite entries).</param>
    /// <param name="scales">The power of two of each row.</param>
    public static float[] RoundRows(Matrix m, out double[] scales)
    {
        ArgumentNullException.ThrowIfNull(m);
        int d = m.Cols;
        var f = new float[(long)m.Rows * d];
        scales = new double[m.Rows];
        for (int i = 0; i < m.Rows; i++)
        {
            var row = m.Row(i);
            double max = 0;
            foreach (double v in row) max = Math.Max(max, Math.Abs(v));
            int e = max > 0 && double.IsFinite(max) ? Math.ILogB(max) : 0;
            scales[i] = Math.ScaleB(1.0, e);
            var fi = f.AsSpan(i * d, d);
            for (int j = 0; j < d; j++) fi[j] = (float)Math.ScaleB(row[j], -e);
        }
        return f;
    }

    /// <summary>alpha·Σₚ a[p]·b[p] in the arithmetic of the class summary.</summary>
    /// <param name="a">A row.</param>
    /// <param name="b">A row of the same length.</param>
    /// <param name="alpha">The scale applied (in float64) to the sum.</param>
    public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b, double alpha = 1)
    {
        if (a.Length != b.Length) throw new ArgumentException($"The rows have {a.Length} and {b.Length} entries; they must have the same length.", nameof(b));
        double total = 0;
        for (int p0 = 0; p0 < a.Length; p0 += BlockLength)
        {
            int len = Math.Min(BlockLength, a.Length - p0);
            total += BlockDot(a.Slice(p0, len), b.Slice(p0, len));
        }
        return alpha * total;
    }

    /// <summary>C = alpha·A·Bᵀ (overwritten) for row-major A (m×k) and B (n×k), each entry as <see cref="Dot"/> computes it.</summary>
    /// <param name="a">m·k floats, row-major.</param>
    /// <param name="m">Rows of A and C.</param>
    /// <param name="b">n·k floats, row-major.</param>
    /// <param name="n">Rows of B, columns of C.</param>
    /// <param name="k">The common length.</param>
    /// <param name="alpha">The scale (float64).</param>
    /// <param name="c">The m×n result, row-major with leading dimension <paramref name="ldc"/>.</param>
    /// <param name="ldc">Leading dimension of C (≥ n).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyTransposed(ReadOnlySpan<float> a, int m, ReadOnlySpan<float> b, int n, int k, double alpha, Span<double> c, int ldc)
    {
        if (m < 0 || n < 0 || k < 0 || ldc < n) throw new ArgumentOutOfRangeException(nameof(ldc), $"A {m}×{k}, B {n}×{k}, ldc {ldc}: sizes must be ≥ 0 and ldc ≥ n.");
        if (a.Length < (long)m * k || b.Length < (long)n * k || (m > 0 && c.Length < (long)(m - 1) * ldc + n))
            throw new ArgumentException($"The buffers are too short for A {m}×{k}, B {n}×{k} and C {m}×{n} (ldc {ldc}).");
        for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
        for (int p0 = 0; p0 < k; p0 += BlockLength)
        {
            int len = Math.Min(BlockLength, k - p0);
            int i = 0;
            for (; i + 2 <= m; i += 2)
            {
                var a0 = a.Slice(i * k + p0, len);
                var a1 = a.Slice((i + 1) * k + p0, len);
                int j = 0;
                for (; j + 2 <= n; j += 2)
                {
                    var (s00, s01, s10, s11) = BlockDot2x2(a0, a1, b.Slice(j * k + p0, len), b.Slice((j + 1) * k + p0, len));
                    c[i * ldc + j] += s00; c[i * ldc + j + 1] += s01;
                    c[(i + 1) * ldc + j] += s10; c[(i + 1) * ldc + j + 1] += s11;
                }
                for (; j < n; j++)
                {
                    var bj = b.Slice(j * k + p0, len);
                    c[i * ldc + j] += BlockDot(a0, bj);
                    c[(i + 1) * ldc + j] += BlockDot(a1, bj);
                }
            }
            for (; i < m; i++)
            {
                var ai = a.Slice(i * k + p0, len);
                for (int j = 0; j < n; j++) c[i * ldc + j] += BlockDot(ai, b.Slice(j * k + p0, len));
            }
        }
        if (alpha != 1)
            for (int i = 0; i < m; i++)
                foreach (ref double v in c.Slice(i * ldc, n)) v *= alpha;
    }

    /// <summary>One block: float32 lanes with fused multiply-add, the tail in scalar float32, then the float64 sum.</summary>
    private static double BlockDot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int w = Vector<float>.Count, len = a.Length, p = 0;
        ref float ra = ref MemoryMarshal.GetReference(a);
        ref float rb = ref MemoryMarshal.GetReference(b);
        var acc = Vector<float>.Zero;
        for (; p + w <= len; p += w)
            acc = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref ra, (nuint)p), Vector.LoadUnsafe(ref rb, (nuint)p), acc);
        float tail = 0;
        for (; p < len; p++) tail = MathF.FusedMultiplyAdd(a[p], b[p], tail);
        return Reduce(acc, tail);
    }

    /// <summary>Four <see cref="BlockDot"/>s at once (each the same operations, so the same bits), loading each row once.</summary>
    private static (double, double, double, double) BlockDot2x2(ReadOnlySpan<float> a0, ReadOnlySpan<float> a1, ReadOnlySpan<float> b0, ReadOnlySpan<float> b1)
    {
        int w = Vector<float>.Count, len = a0.Length, p = 0;
        ref float ra0 = ref MemoryMarshal.GetReference(a0);
        ref float ra1 = ref MemoryMarshal.GetReference(a1);
        ref float rb0 = ref MemoryMarshal.GetReference(b0);
        ref float rb1 = ref MemoryMarshal.GetReference(b1);
        Vector<float> c00 = Vector<float>.Zero, c01 = c00, c10 = c00, c11 = c00;
        for (; p + w <= len; p += w)
        {
            var x0 = Vector.LoadUnsafe(ref ra0, (nuint)p);
            var x1 = Vector.LoadUnsafe(ref ra1, (nuint)p);
            var y0 = Vector.LoadUnsafe(ref rb0, (nuint)p);
            var y1 = Vector.LoadUnsafe(ref rb1, (nuint)p);
            c00 = Vector.FusedMultiplyAdd(x0, y0, c00);
            c01 = Vector.FusedMultiplyAdd(x0, y1, c01);
            c10 = Vector.FusedMultiplyAdd(x1, y0, c10);
            c11 = Vector.FusedMultiplyAdd(x1, y1, c11);
        }
        float t00 = 0, t01 = 0, t10 = 0, t11 = 0;
        for (; p < len; p++)
        {
            t00 = MathF.FusedMultiplyAdd(a0[p], b0[p], t00);
            t01 = MathF.FusedMultiplyAdd(a0[p], b1[p], t01);
            t10 = MathF.FusedMultiplyAdd(a1[p], b0[p], t10);
            t11 = MathF.FusedMultiplyAdd(a1[p], b1[p], t11);
        }
        return (Reduce(c00, t00), Reduce(c01, t01), Reduce(c10, t10), Reduce(c11, t11));
    }

    /// <summary>The lanes and the tail summed in float64, lane by lane in order.</summary>
    private static double Reduce(Vector<float> acc, float tail)
    {
        double s = tail;
        for (int l = 0; l < Vector<float>.Count; l++) s += acc[l];
        return s;
    }
}
