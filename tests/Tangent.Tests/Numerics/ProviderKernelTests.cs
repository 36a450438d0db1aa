using Tangent.Numerics;

namespace Tangent.Tests.Numerics;

/// <summary>Awkward shapes, leading dimensions and β cases for the BLAS-like routines, run against every provider.</summary>
public sealed class ProviderKernelTests
{
    public static TheoryData<string> Providers() => ProviderTests.Providers();

    private static ILinearAlgebraProvider Get(string name) => ProviderTests.Get(name);

    /// <summary>Embeds an r×c matrix in storage with leading dimension ld, padding with <paramref name="pad"/>.</summary>
    private static double[] Strided(Matrix m, int ld, double pad)
    {
        var s = new double[Math.Max(0, (m.Rows - 1) * ld + m.Cols)];
        Array.Fill(s, pad);
        for (int i = 0; i < m.Rows; i++) m.Row(i).CopyTo(s.AsSpan(i * ld, m.Cols));
        return s;
    }

    /// <summary>G·Gᵀ + 0.1·I for a random n×(n+3) G, through the (separately tested) managed GEMM.</summary>
    private static Matrix FastSpd(int n, int seed)
    {
        var g = LinearAlgebra.Gram(ProviderTests.Random(n, n + 3, seed), ManagedProvider.Instance);
        for (int i = 0; i < n; i++) g[i, i] += 0.1;
        return g;
    }

    private static Matrix Llt(Matrix l) => LinearAlgebra.Multiply(l, l, Op.None, Op.Transpose, ManagedProvider.Instance);

    private static double RelativeError(Matrix got, Matrix expected)
    {
        double scale = Math.Max(1.0, expected.FrobeniusNorm());
        double d = 0;
        for (int i = 0; i < got.Data.Length; i++) d += (got.Data[i] - expected.Data[i]) * (got.Data[i] - expected.Data[i]);
        return Math.Sqrt(d) / scale;
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void GemmHandlesRaggedSizesEveryTranspositionAndWideLeadingDimensions(string name)
    {
        var p = Get(name);
        foreach (var (m, n, k) in new[] { (1, 1, 1), (1, 17, 1), (17, 1, 17), (17, 17, 17), (9, 25, 300), (40, 49, 520), (100, 3, 7) })
        {
            var a = ProviderTests.Random(m, k, m + 7 * k);
            var b = ProviderTests.Random(k, n, n + 11 * k);
            var c0 = ProviderTests.Random(m, n, 5);
            var expected = ProviderTests.NaiveMultiply(a, b);
            foreach (var ta in new[] { Op.None, Op.Transpose })
                foreach (var tb in new[] { Op.None, Op.Transpose })
                {
                    var sa = ta == Op.None ? a : a.Transpose();
                    var sb = tb == Op.None ? b : b.Transpose();
                    int lda = sa.Cols + 3, ldb = sb.Cols + 5, ldc = n + 2;
                    var aStore = Strided(sa, lda, double.NaN);
                    var bStore = Strided(sb, ldb, double.NaN);
                    var cStore = Strided(c0, ldc, -7.0);
                    const double alpha = 0.5, beta = -1.5;
                    p.Gemm(ta, tb, m, n, k, alpha, aStore, lda, bStore, ldb, beta, cStore, ldc);
                    for (int i = 0; i < m; i++)
                    {
                        for (int j = 0; j < n; j++)
                        {
                            double want = alpha * expected[i, j] + beta * c0[i, j];
                            Assert.True(Math.Abs(cStore[i * ldc + j] - want) < 1e-11 * (1 + k), $"{ta}/{tb} {m}×{n}×{k} at ({i},{j}): {cStore[i * ldc + j]} vs {want}");
                        }
                        // Padding between rows is left alone.
                        for (int j = n; j < ldc && i * ldc + j < cStore.Length; j++) Assert.Equal(-7.0, cStore[i * ldc + j]);
                    }
                }
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void GemmWithBetaZeroIgnoresNaNInC(string name)
    {
        var p = Get(name);
        var a = ProviderTests.Random(33, 19, 1);
        var b = ProviderTests.Random(19, 29, 2);
        var c = new double[33 * 29];
        Array.Fill(c, double.NaN);
        p.Gemm(Op.None, Op.None, 33, 29, 19, 1.0, a.Data, 19, b.Data, 29, 0.0, c, 29);
        Assert.True(new Matrix(33, 29, c).MaxAbsDifference(ProviderTests.NaiveMultiply(a, b)) < 1e-12);

        // k = 0 and β = 0: C is cleared, NaN included.
        Array.Fill(c, double.NaN);
        p.Gemm(Op.None, Op.None, 33, 29, 0, 1.0, [], 1, [], 29, 0.0, c, 29);
        Assert.All(c, v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void GemmOfOrder1025MatchesMathNet()
    {
        // One large ragged case (1025 = 42·24 + 17 = 128·8 + 1), checked against an independent library.
        const int n = 1025;
        var a = ProviderTests.Random(n, n, 21);
        var b = ProviderTests.Random(n, n, 22);
        var c = LinearAlgebra.Multiply(a, b, provider: ManagedProvider.Instance);
        var ma = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(n, n, (i, j) => a[i, j]);
        var mb = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(n, n, (i, j) => b[i, j]);
        var mc = ma * mb;
        double worst = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) worst = Math.Max(worst, Math.Abs(c[i, j] - mc[i, j]));
        Assert.True(worst < 1e-10, $"max difference {worst}");
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void SyrkFillsBothTrianglesAndAccumulates(string name)
    {
        var p = Get(name);
        foreach (var (n, k) in new[] { (1, 1), (17, 3), (50, 300), (130, 17) })
        {
            var a = ProviderTests.Random(n, k, n * k);
            var expected = ProviderTests.NaiveMultiply(a, a.Transpose());
            var c0 = ProviderTests.Spd(n, 2);
            int lda = k + 1, ldc = n + 4;
            var aStore = Strided(a, lda, double.NaN);
            var cStore = Strided(c0, ldc, 3.0);
            p.Syrk(n, k, 2.0, aStore, lda, 0.25, cStore, ldc);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                {
                    double want = 2.0 * expected[i, j] + 0.25 * c0[i, j];
                    Assert.True(Math.Abs(cStore[i * ldc + j] - want) < 1e-10, $"n={n} k={k} ({i},{j})");
                    Assert.Equal(cStore[i * ldc + j], cStore[j * ldc + i]);
                }

            var fresh = new double[n * n];
            Array.Fill(fresh, double.NaN);
            p.Syrk(n, k, 1.0, a.Data, k, 0.0, fresh, n);
            Assert.True(new Matrix(n, n, fresh).MaxAbsDifference(expected) < 1e-11);
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void CholeskyOfOrder300ReconstructsTheMatrix(string name)
    {
        // 300 > the managed block size would need 257; 300 crosses one block boundary and leaves a ragged block.
        var p = Get(name);
        var a = FastSpd(300, 8);
        var lda = 303;
        var store = Strided(a, lda, double.NaN);
        Assert.Equal(0, p.Potrf(300, store, lda));
        var l = Matrix.Build(300, 300, (i, j) => store[i * lda + j]);
        for (int i = 0; i < 300; i++)
            for (int j = i + 1; j < 300; j++) Assert.Equal(0.0, l[i, j]);
        Assert.True(RelativeError(Llt(l), a) < 1e-13);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void CholeskyReportsTheFailingPivot(string name)
    {
        var p = Get(name);
        var spd = FastSpd(300, 4);
        var l = Cholesky.Compute(spd, ManagedProvider.Instance).Factor;
        foreach (int fail in new[] { 1, 5, 260, 300 })
        {
            // Positive definite except that pivot `fail` (1-based) goes negative after elimination.
            var a = spd.Clone();
            double shift = 0;
            for (int q = 0; q < fail - 1; q++) shift += l[fail - 1, q] * l[fail - 1, q];
            a[fail - 1, fail - 1] = shift - 0.5;
            var copy = a.Clone();
            Assert.Equal(fail, p.Potrf(300, copy.Data, 300));
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void TrsmSolvesBothOpsWithManyAndFewRightHandSides(string name)
    {
        var p = Get(name);
        foreach (var (n, nrhs) in new[] { (1, 1), (17, 3), (100, 1), (60, 5), (150, 70) })
        {
            var a = FastSpd(n, n);
            var l = Cholesky.Compute(a, ManagedProvider.Instance).Factor;
            var x = ProviderTests.Random(n, nrhs, 9);
            foreach (var op in new[] { Op.None, Op.Transpose })
            {
                var b = ProviderTests.NaiveMultiply(op == Op.None ? l : l.Transpose(), x);
                int ldl = n + 1, ldb = nrhs + 2;
                var lStore = Strided(l, ldl, double.NaN);
                var bStore = Strided(b, ldb, 42.0);
                p.Trsm(op, n, nrhs, lStore, ldl, bStore, ldb);
                var got = Matrix.Build(n, nrhs, (i, j) => bStore[i * ldb + j]);
                Assert.True(RelativeError(got, x) < 1e-10, $"{op} n={n} nrhs={nrhs}: {RelativeError(got, x)}");
                for (int i = 0; i + 1 < n; i++) Assert.Equal(42.0, bStore[i * ldb + nrhs]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void SyevdHandlesTinyAndRepeatedEigenvalues(string name)
    {
        var p = Get(name);
        foreach (int n in new[] { 1, 2, 50 })
        {
            // Q·diag(λ)·Qᵀ with λ repeated: {1, 1, 1, ..., 3, 3, ...}.
            var q = ProviderTests.Random(n, n, 13);
            var qr = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(n, n, (i, j) => q[i, j]).QR().Q;
            var lambda = Enumerable.Range(0, n).Select(i => i < n / 2 ? 1.0 : 3.0).ToArray();
            var a = Matrix.Build(n, n, (i, j) => Enumerable.Range(0, n).Sum(t => qr[i, t] * lambda[t] * qr[j, t]));
            var eig = SymmetricEigen.Compute(a, p);
            var sorted = lambda.OrderBy(v => v).ToArray();
            for (int i = 0; i < n; i++) Assert.True(Math.Abs(eig.Values[i] - sorted[i]) < 1e-12 * n, $"n={n} λ{i}");
            var vtv = ProviderTests.NaiveMultiply(eig.Vectors.Transpose(), eig.Vectors);
            Assert.True(vtv.MaxAbsDifference(Matrix.Identity(n)) < 1e-12 * n);
            Assert.True(eig.Function(v => v).MaxAbsDifference(a) < 1e-12 * n);
        }
    }

    [SkippableFact]
    public void ManagedAndNativeAgreeToRoundoff()
    {
        Skip.If(NativeProvider.Instance is null, "OpenBLAS is not installed: " + NativeProvider.UnavailableReason);
        var native = NativeProvider.Instance!;
        var managed = ManagedProvider.Instance;
        var a = ProviderTests.Random(200, 150, 31);
        var b = ProviderTests.Random(150, 170, 32);
        Assert.True(RelativeError(LinearAlgebra.Multiply(a, b, provider: managed), LinearAlgebra.Multiply(a, b, provider: native)) < 1e-10);
        Assert.True(RelativeError(LinearAlgebra.Gram(a, managed), LinearAlgebra.Gram(a, native)) < 1e-10);
        var spd = FastSpd(270, 33);
        var lm = Cholesky.Compute(spd, managed);
        var ln = Cholesky.Compute(spd, native);
        Assert.True(RelativeError(lm.Factor, ln.Factor) < 1e-10);
        var rhs = ProviderTests.Random(270, 40, 34);
        Assert.True(RelativeError(lm.Solve(rhs), ln.Solve(rhs)) < 1e-10);
        var em = SymmetricEigen.Compute(spd, managed);
        var en = SymmetricEigen.Compute(spd, native);
        Assert.True(RelativeError(new Matrix(270, 1, em.Values), new Matrix(270, 1, en.Values)) < 1e-10);
        Assert.True(RelativeError(em.Function(Math.Sqrt), en.Function(Math.Sqrt)) < 1e-10);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void ShortStorageIsRejectedWithTheShape(string name)
    {
        var p = Get(name);
        if (p is not ManagedProvider) return; // the check is the managed provider's guard against unsafe access
        var e = Assert.Throws<ArgumentException>(() => p.Gemm(Op.None, Op.None, 3, 3, 3, 1, new double[8], 3, new double[9], 3, 0, new double[9], 3));
        Assert.Contains("3×3", e.Message);
        Assert.Contains("needs 9", e.Message);
        var e2 = Assert.Throws<ArgumentException>(() => p.Potrf(4, new double[16], 3));
        Assert.Contains("ld ≥ 4", e2.Message);
    }
}

public sealed class ManagedEigenTests
{
    [Fact]
    public void SyevdOfOrder300UsesTheParallelPathsAndReconstructs()
    {
        // n = 300 takes the threaded row updates; a small strip budget forces several rotation strips.
        const int n = 300;
        int saved = ManagedProvider.RotationBuffer.RotationStripBudget;
        ManagedProvider.RotationBuffer.RotationStripBudget = 16384;
        try
        {
            var x = ProviderTests.Random(n, n, 41);
            var a = LinearAlgebra.Gram(x, ManagedProvider.Instance);
            var eig = SymmetricEigen.Compute(a, ManagedProvider.Instance);
            double top = eig.Values[^1];
            double trace = Enumerable.Range(0, n).Sum(i => a[i, i]);
            Assert.True(Math.Abs(eig.Values.Sum() - trace) < 1e-11 * trace);
            if (NativeProvider.Instance is { } native)
            {
                var reference = SymmetricEigen.Compute(a, native);
                for (int i = 0; i < n; i++) Assert.True(Math.Abs(eig.Values[i] - reference.Values[i]) < 1e-11 * top, $"λ{i}: {eig.Values[i]} vs {reference.Values[i]}");
            }
            var back = eig.Function(v => v);
            Assert.True(back.MaxAbsDifference(a) < 1e-11 * top);
            var vtv = LinearAlgebra.Multiply(eig.Vectors, eig.Vectors, Op.Transpose, Op.None, ManagedProvider.Instance);
            Assert.True(vtv.MaxAbsDifference(Matrix.Identity(n)) < 1e-11);
        }
        finally
        {
            ManagedProvider.RotationBuffer.RotationStripBudget = saved;
        }
    }

    [Fact]
    public void CholeskyOfOrder1100CrossesBlocksAndMatchesReconstruction()
    {
        // Exercises threaded TRSM leaves and the lower-triangle GEMM update on a ragged order.
        const int n = 1100;
        var spd = new Matrix(n, n, Tangent.Diagnostics.ProviderBenchmark.DiagonallyDominantSpd(n, 7));
        var l = Cholesky.Compute(spd, ManagedProvider.Instance).Factor;
        var llt = LinearAlgebra.Multiply(l, l, Op.None, Op.Transpose, ManagedProvider.Instance);
        Assert.True(llt.MaxAbsDifference(spd) < 1e-12 * n);
    }
}
