using Tangent.Numerics;

namespace Tangent.Tests.Numerics;

/// <summary>Every provider runs the same tests, as ILGPU tests its back ends.</summary>
public sealed class ProviderTests
{
    public static TheoryData<string> Providers()
    {
        var d = new TheoryData<string> { "managed" };
        if (NativeProvider.Instance is not null) d.Add("native");
        return d;
    }

    internal static ILinearAlgebraProvider Get(string name) => LinearAlgebra.Resolve(LinearAlgebra.ParseKind(name));

    internal static Matrix Random(int r, int c, int seed)
    {
        var rng = new Random(seed);
        return Matrix.Build(r, c, (_, _) => rng.NextDouble() * 2 - 1);
    }

    internal static Matrix NaiveMultiply(Matrix a, Matrix b)
    {
        var c = new Matrix(a.Rows, b.Cols);
        for (int i = 0; i < a.Rows; i++)
            for (int j = 0; j < b.Cols; j++)
            {
                double s = 0;
                for (int p = 0; p < a.Cols; p++) s += a[i, p] * b[p, j];
                c[i, j] = s;
            }
        return c;
    }

    internal static Matrix Spd(int n, int seed)
    {
        var a = Random(n, n + 3, seed);
        var g = NaiveMultiply(a, a.Transpose());
        for (int i = 0; i < n; i++) g[i, i] += 0.1;
        return g;
    }

    [Theory]
    [InlineData("Haswell", false)]
    [InlineData("Zen", false)]
    [InlineData("SkylakeX", true)]
    [InlineData("COOPERLAKE", true)]
    [InlineData("SapphireRapids", true)]
    [InlineData("", false)]
    public void RecognisesOpenBlasAvx512Kernels(string core, bool avx512) => Assert.Equal(avx512, NativeProvider.IsAvx512Core(core));

    [Fact]
    public void AutoTakesManagedWhereOpenBlasRunsNarrowerKernelsThanTheProcessor()
    {
        Assert.True(LinearAlgebra.PreferManaged(null));
        var auto = LinearAlgebra.Resolve(ProviderKind.Auto);
        if (NativeProvider.Instance is not { } native) { Assert.Equal("managed", auto.Name); return; }
        bool wider = ManagedGemm.Use512 && System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated && !native.HasAvx512Kernels;
        Assert.Equal(wider ? "managed" : "native", auto.Name);
    }

    /// <summary>The lower triangle of C = α·op(A)·op(B) + β·C, for every transposition, orders across the default's row
    /// blocks (256) and the managed kernels' tiles; β = 0 ignores NaN in C, β ≠ 0 reads it.</summary>
    [Theory]
    [MemberData(nameof(Providers))]
    public void GemmLowerMatchesTheNaiveLowerTriangle(string name)
    {
        var p = Get(name);
        foreach (var (n, k) in new[] { (1, 1), (23, 7), (97, 40), (300, 33) })
        {
            var a = Random(n, k, 3);
            var b = Random(k, n, 4);
            var c0 = Random(n, n, 5);
            var expected = NaiveMultiply(a, b);
            foreach (var (ta, tb) in new[] { (Op.None, Op.None), (Op.Transpose, Op.None), (Op.None, Op.Transpose), (Op.Transpose, Op.Transpose) })
            {
                var aa = ta == Op.None ? a : a.Transpose();
                var bb = tb == Op.None ? b : b.Transpose();
                var c = Matrix.Build(n, n, (_, _) => double.NaN);
                p.GemmLower(ta, tb, n, k, 2.0, aa.Data, aa.Cols, bb.Data, bb.Cols, 0.0, c.Data, n);
                var d = c0.Clone();
                p.GemmLower(ta, tb, n, k, 1.0, aa.Data, aa.Cols, bb.Data, bb.Cols, -1.0, d.Data, n);
                for (int i = 0; i < n; i++)
                    for (int j = 0; j <= i; j++)
                    {
                        Assert.True(Math.Abs(c[i, j] - 2 * expected[i, j]) < 1e-12, $"{name} n={n} {ta}/{tb} β=0 at ({i},{j})");
                        Assert.True(Math.Abs(d[i, j] - (expected[i, j] - c0[i, j])) < 1e-12, $"{name} n={n} {ta}/{tb} β=−1 at ({i},{j})");
                    }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void GemmMatchesNaiveProductForEveryTransposition(string name)
    {
        var p = Get(name);
        foreach (var (m, n, k) in new[] { (1, 1, 1), (17, 5, 9), (33, 65, 17), (3, 1, 40) })
        {
            var a = Random(m, k, 1);
            var b = Random(k, n, 2);
            var expected = NaiveMultiply(a, b);
            Assert.True(LinearAlgebra.Multiply(a, b, provider: p).MaxAbsDifference(expected) < 1e-12);
            Assert.True(LinearAlgebra.Multiply(a.Transpose(), b, Op.Transpose, Op.None, p).MaxAbsDifference(expected) < 1e-12);
            Assert.True(LinearAlgebra.Multiply(a, b.Transpose(), Op.None, Op.Transpose, p).MaxAbsDifference(expected) < 1e-12);
            Assert.True(LinearAlgebra.Multiply(a.Transpose(), b.Transpose(), Op.Transpose, Op.Transpose, p).MaxAbsDifference(expected) < 1e-12);
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void CholeskySolvesAndReportsFailingPivot(string name)
    {
        var p = Get(name);
        var a = Spd(17, 3);
        var chol = Cholesky.Compute(a, p);
        var llt = NaiveMultiply(chol.Factor, chol.Factor.Transpose());
        Assert.True(llt.MaxAbsDifference(a) < 1e-10);
        var b = Random(17, 3, 4);
        var x = chol.Solve(b);
        Assert.True(NaiveMultiply(a, x).MaxAbsDifference(b) < 1e-9);

        var bad = Matrix.FromRows([1, 2], [2, 1]);
        var e = Assert.Throws<NotPositiveDefiniteException>(() => Cholesky.Compute(bad, p));
        Assert.Equal(2, e.Pivot);
        Assert.Contains("ridge", e.Message);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void EigendecompositionReconstructsTheMatrix(string name)
    {
        var p = Get(name);
        var a = Spd(17, 5);
        var eig = SymmetricEigen.Compute(a, p);
        for (int i = 1; i < eig.Order; i++) Assert.True(eig.Values[i - 1] <= eig.Values[i]);
        var back = eig.Function(l => l);
        Assert.True(back.MaxAbsDifference(a) < 1e-9);
    }
}
