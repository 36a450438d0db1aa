using Tangent.Numerics;

namespace Tangent.Tests.Numerics;

public sealed class SingleGramTests
{
    private static float[] Rows(int n, int k, int seed)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, n * k).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(5, 3, 7)]
    [InlineData(4, 6, 256)]
    [InlineData(7, 9, 784)]
    [InlineData(3, 2, 1000)]
    public void EveryEntryIsTheDotOfItsRowsBitForBitAndCloseToFloat64(int m, int n, int k)
    {
        var a = Rows(m, k, 1);
        var b = Rows(n, k, 2);
        int ldc = n + 3;
        var c = new double[(m - 1) * ldc + n];
        Array.Fill(c, double.NaN);   // overwritten, not accumulated into
        SingleGram.MultiplyTransposed(a, m, b, n, k, 0.5, c, ldc);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                var ai = a.AsSpan(i * k, k);
                var bj = b.AsSpan(j * k, k);
                Assert.Equal(SingleGram.Dot(ai, bj, 0.5), c[i * ldc + j]);
                double exact = 0, scale = 0;
                for (int p = 0; p < k; p++) { exact += (double)ai[p] * bj[p]; scale += Math.Abs((double)ai[p] * bj[p]); }
                Assert.True(Math.Abs(c[i * ldc + j] - 0.5 * exact) <= 0.5 * scale * 64 * Math.Pow(2, -24), $"({i}, {j}): {c[i * ldc + j]} vs {0.5 * exact}");
            }
    }

    [Fact]
    public void TheGramOfRowsWithThemselvesIsSymmetricWithTheDotOnItsDiagonal()
    {
        int n = 11, k = 300;
        var a = Rows(n, k, 3);
        var c = new double[n * n];
        SingleGram.MultiplyTransposed(a, n, a, n, k, 1, c, n);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(SingleGram.Dot(a.AsSpan(i * k, k), a.AsSpan(i * k, k)), c[i * n + i]);
            for (int j = 0; j < n; j++) Assert.Equal(c[i * n + j], c[j * n + i]);
        }
    }

    [Fact]
    public void RoundRowsScalesEachRowByAPowerOfTwoSoNothingOverflowsOrUnderflows()
    {
        var m = Matrix.Build(4, 3, (i, j) => i switch { 0 => 1e30 * (j + 1), 1 => -1e-30 * (j + 1), 2 => 0, _ => 0.1 * (j - 1) });
        var f = SingleGram.RoundRows(m, out var scales);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(Math.ScaleB(1, Math.ILogB(scales[i])), scales[i]);   // a power of two
            double max = 0;
            for (int j = 0; j < 3; j++)
            {
                Assert.True(float.IsFinite(f[i * 3 + j]));
                max = Math.Max(max, Math.Abs(f[i * 3 + j]));
                Assert.True(Math.Abs(f[i * 3 + j] * scales[i] - m[i, j]) <= Math.Abs(m[i, j]) * Math.Pow(2, -24));
            }
            Assert.True(i == 2 ? max == 0 : max is >= 1 and < 2, $"row {i}: largest {max}");
        }
        Assert.Equal(1, scales[2]);
        var g = SingleGram.Dot(f.AsSpan(0, 3), f.AsSpan(0, 3)) * scales[0] * scales[0];
        Assert.True(Math.Abs(g - 14e60) <= 14e60 * 1e-6);
    }

    [Fact]
    public void MismatchedLengthsAndShortBuffersAreRefused()
    {
        Assert.Throws<ArgumentException>(() => SingleGram.Dot(new float[3], new float[4]));
        Assert.Throws<ArgumentException>(() => SingleGram.MultiplyTransposed(new float[6], 2, new float[6], 2, 3, 1, new double[3], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => SingleGram.MultiplyTransposed(new float[6], 2, new float[6], 2, 3, 1, new double[4], 1));
    }
}
