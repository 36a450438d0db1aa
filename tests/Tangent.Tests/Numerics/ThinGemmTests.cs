using Tangent.Numerics;

namespace Tangent.Tests.Numerics;

/// <summary>Matrix-vector shaped products (one side of C at most 4 long) take the managed thin path.</summary>
public sealed class ThinGemmTests
{
    [Theory]
    [InlineData(1000, 1, 300)]
    [InlineData(1, 700, 513)]
    [InlineData(3, 3, 1000)]
    [InlineData(600, 4, 1)]
    [InlineData(4, 257, 0)]
    [InlineData(2, 5, 7)]
    public void ThinProductsMatchTheNaiveProductForEveryTransposition(int m, int n, int k)
    {
        var a = ProviderTests.Random(m, k, 1);
        var b = ProviderTests.Random(k, n, 2);
        var c0 = ProviderTests.Random(m, n, 3);
        var expected = ProviderTests.NaiveMultiply(a, b);
        var p = ManagedProvider.Instance;
        foreach (var ta in new[] { Op.None, Op.Transpose })
            foreach (var tb in new[] { Op.None, Op.Transpose })
            {
                var sa = ta == Op.None ? a : a.Transpose();
                var sb = tb == Op.None ? b : b.Transpose();
                // β = 0 must not read C: fill it with NaN.
                var c = Matrix.Build(m, n, (_, _) => double.NaN);
                p.Gemm(ta, tb, m, n, k, 2.0, sa.Data, Math.Max(sa.Cols, 1), sb.Data, Math.Max(sb.Cols, 1), 0.0, c.Data, Math.Max(n, 1));
                for (int i = 0; i < c.Data.Length; i++) Assert.Equal(2.0 * expected.Data[i], c.Data[i], 1e-11);
                // β ≠ 0 accumulates.
                var acc = c0.Clone();
                p.Gemm(ta, tb, m, n, k, 1.0, sa.Data, Math.Max(sa.Cols, 1), sb.Data, Math.Max(sb.Cols, 1), 0.5, acc.Data, Math.Max(n, 1));
                for (int i = 0; i < acc.Data.Length; i++) Assert.Equal(expected.Data[i] + 0.5 * c0.Data[i], acc.Data[i], 1e-11);
            }
    }
    /// <summary>The thin path gives the packed path's bits entry by entry (a kernel computed in row or column chunks, whose
    /// last chunk is thin, equals the kernel computed at once): rows 16..18 or columns 0..2 of a 19×13 product taken
    /// alone against the same entries of the whole, for every transposition, depths across one and two blocks of
    /// <see cref="ManagedGemm.KC"/>, β = 0 and β ≠ 0.</summary>
    [Theory]
    [InlineData(40)]
    [InlineData(300)]
    [InlineData(600)]
    public void ThinEntriesEqualThePackedEntriesBitForBit(int k)
    {
        const int m = 19, n = 13;
        var a = ProviderTests.Random(m, k, 4);
        var b = ProviderTests.Random(k, n, 5);
        var c0 = ProviderTests.Random(m, n, 6);
        var p = ManagedProvider.Instance;
        foreach (double beta in new[] { 0.0, 0.7 })
            foreach (var ta in new[] { Op.None, Op.Transpose })
                foreach (var tb in new[] { Op.None, Op.Transpose })
                {
                    var sa = ta == Op.None ? a : a.Transpose();
                    var sb = tb == Op.None ? b : b.Transpose();
                    var whole = c0.Clone();
                    p.Gemm(ta, tb, m, n, k, 1.5, sa.Data, sa.Cols, sb.Data, sb.Cols, beta, whole.Data, n);
                    // The last three rows alone: op(A) rows 16..18.
                    var rowsA = ta == Op.None ? a.Data.AsSpan(16 * k) : sa.Data.AsSpan(16);
                    var rows = c0.Clone();
                    p.Gemm(ta, tb, 3, n, k, 1.5, rowsA, sa.Cols, sb.Data, sb.Cols, beta, rows.Data.AsSpan(16 * n), n);
                    // The first three columns alone: op(B) columns 0..2.
                    var cols = c0.Clone();
                    p.Gemm(ta, tb, m, 3, k, 1.5, sa.Data, sa.Cols, sb.Data, sb.Cols, beta, cols.Data, n);
                    for (int i = 0; i < m; i++)
                        for (int j = 0; j < n; j++)
                        {
                            if (i >= 16) Assert.True(BitConverter.DoubleToInt64Bits(whole[i, j]) == BitConverter.DoubleToInt64Bits(rows[i, j]), $"row {i}, col {j}, k={k}, β={beta}, {ta}/{tb}");
                            if (j < 3) Assert.True(BitConverter.DoubleToInt64Bits(whole[i, j]) == BitConverter.DoubleToInt64Bits(cols[i, j]), $"col {j}, row {i}, k={k}, β={beta}, {ta}/{tb}");
                        }
                }
    }
}
