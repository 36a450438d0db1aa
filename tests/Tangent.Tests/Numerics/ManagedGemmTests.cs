using Tangent.Numerics;

namespace Tangent.Tests.Numerics;

/// <summary>
/// The packed GEMM engine with each micro-kernel forced (the 6×8 Vector256 one and the 8×24 Vector512 one,
/// which runs emulated where AVX-512 is missing), against a naive triple loop: ragged sizes (not multiples of
/// MR, NR, MC or KC), every transposition, α/β, wide leading dimensions, several column slabs and depth chunks,
/// and the Lower part.
/// </summary>
public sealed unsafe class ManagedGemmTests
{
    /// <summary>(vector width in bits 256 or 512, m, n, k).</summary>
    public static TheoryData<int, int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int, int>();
        foreach (int kernel in new[] { 256, 512 })
        {
            data.Add(kernel, 97, 61, 300);
            data.Add(kernel, 13, 131, 257);
            data.Add(kernel, 200, 25, 5);
            data.Add(kernel, 7, 9, 531);
        }
        return data;
    }

    /// <summary>C[i, j] = α·Σ_p op(A)[i, p]·op(B)[p, j] + β·C0[i, j] with op applied to row-major storage.</summary>
    private static double[] Naive(Op ta, Op tb, int m, int n, int k, double alpha, double[] a, int lda, double[] b, int ldb, double beta, double[] c0, int ldc)
    {
        var c = (double[])c0.Clone();
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                    s += (ta == Op.None ? a[i * lda + p] : a[p * lda + i]) * (tb == Op.None ? b[p * ldb + j] : b[j * ldb + p]);
                c[i * ldc + j] = beta == 0 ? alpha * s : alpha * s + beta * c0[i * ldc + j];
            }
        return c;
    }

    private static double[] Random(int length, int seed)
    {
        var rng = new Random(seed);
        var d = new double[length];
        for (int i = 0; i < d.Length; i++) d[i] = rng.NextDouble() * 2 - 1;
        return d;
    }

    private static ManagedGemm.GemmKernel Kernel(int bits) => bits == 512 ? ManagedGemm.GemmKernel.Vector512 : ManagedGemm.GemmKernel.Vector256;

    private static void Run(int bits, Op ta, Op tb, int m, int n, int k, double alpha, double[] a, int lda, double[] b, int ldb,
        double beta, double[] c, int ldc, ManagedGemm.Part part, bool parallel, int slabColumns, long slabBytes)
    {
        fixed (double* pa = a, pb = b, pc = c)
            ManagedGemm.Gemm(ta, tb, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, part, parallel, Kernel(bits), slabColumns, slabBytes);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EachKernelMatchesTheNaiveProductOnRaggedShapesForEveryTranspositionAndBlocking(int kernel, int m, int n, int k)
    {
        foreach (var ta in new[] { Op.None, Op.Transpose })
            foreach (var tb in new[] { Op.None, Op.Transpose })
            {
                // Leading dimensions wider than the rows they hold, with NaN in the gaps that must never be read.
                int lda = (ta == Op.None ? k : m) + 3, ldb = (tb == Op.None ? n : k) + 2, ldc = n + 5;
                var a = Random((ta == Op.None ? m : k) * lda, 1);
                var b = Random((tb == Op.None ? k : n) * ldb, 2);
                for (int i = 0; i < a.Length; i++) if (i % lda >= lda - 3) a[i] = double.NaN;
                for (int i = 0; i < b.Length; i++) if (i % ldb >= ldb - 2) b[i] = double.NaN;
                var c0 = Random(m * ldc, 3);
                // (slab columns, slab bytes): the defaults, and small slabs so that several column slabs and depth chunks run.
                foreach (var (cols, bytes) in new[] { (0, 0L), (40, 8L * 256 * 40) })
                    foreach (bool parallel in new[] { true, false })
                        foreach (var (alpha, beta) in new[] { (1.0, 0.0), (-0.5, 1.0), (2.0, 0.25) })
                        {
                            var expected = Naive(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c0, ldc);
                            var c = (double[])c0.Clone();
                            if (beta == 0)
                                for (int i = 0; i < m; i++) Array.Fill(c, double.NaN, i * ldc, n); // β = 0 must not read C
                            Run(kernel, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ManagedGemm.Part.Full, parallel, cols, bytes);
                            for (int i = 0; i < m; i++)
                            {
                                for (int j = 0; j < n; j++)
                                    Assert.True(Math.Abs(expected[i * ldc + j] - c[i * ldc + j]) < 1e-11,
                                        $"{kernel} {ta}/{tb} m={m} n={n} k={k} slab={cols} parallel={parallel} α={alpha} β={beta}: C[{i}, {j}] = {c[i * ldc + j]}, expected {expected[i * ldc + j]}");
                                for (int j = n; j < ldc; j++) Assert.Equal(c0[i * ldc + j], c[i * ldc + j]); // the padding is untouched
                            }
                        }
            }
    }

    [Theory]
    [InlineData(256, 203, 70)]
    [InlineData(512, 203, 70)]
    [InlineData(256, 31, 300)]
    [InlineData(512, 31, 300)]
    public void EachKernelComputesTheLowerPartOfASymmetricUpdate(int kernel, int n, int k)
    {
        var a = Random(n * k, 4);
        var c0 = Random(n * n, 5);
        var expected = Naive(Op.None, Op.Transpose, n, n, k, -1.0, a, k, a, k, 1.0, c0, n);
        foreach (var (cols, bytes) in new[] { (0, 0L), (48, 8L * 256 * 48), (24, 8L * 256 * 24) })
            foreach (bool parallel in new[] { true, false })
            {
                var c = (double[])c0.Clone();
                Run(kernel, Op.None, Op.Transpose, n, n, k, -1.0, a, k, a, k, 1.0, c, n, ManagedGemm.Part.Lower, parallel, cols, bytes);
                for (int i = 0; i < n; i++)
                    for (int j = 0; j <= i; j++)
                        Assert.True(Math.Abs(expected[i * n + j] - c[i * n + j]) < 1e-11,
                            $"{kernel} n={n} k={k} slab={cols} parallel={parallel}: C[{i}, {j}] = {c[i * n + j]}, expected {expected[i * n + j]}");
            }
    }

    [Fact]
    public void TheKernelVariableForcesEitherKernelAndOtherwiseFollowsTheHardware()
    {
        Assert.Equal(ManagedGemm.GemmKernel.Vector256, ManagedGemm.ParseKernel("256", avx512: true));
        Assert.Equal(ManagedGemm.GemmKernel.Vector512, ManagedGemm.ParseKernel(" 512 ", avx512: false));
        Assert.Equal(ManagedGemm.GemmKernel.Vector512, ManagedGemm.ParseKernel(null, avx512: true));
        Assert.Equal(ManagedGemm.GemmKernel.Vector256, ManagedGemm.ParseKernel(null, avx512: false));
        Assert.Equal(ManagedGemm.GemmKernel.Vector256, ManagedGemm.ParseKernel("fast", avx512: false));
        Assert.NotEqual(ManagedGemm.GemmKernel.Auto, ManagedGemm.DefaultKernel);
    }
}
