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
}
