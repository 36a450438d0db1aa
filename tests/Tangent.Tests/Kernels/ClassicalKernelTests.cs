using Tangent.Kernels;
using Tangent.Numerics;

namespace Tangent.Tests.Kernels;

public sealed class ClassicalKernelTests
{
    private static double Naive(ClassicalKernel k, ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double dot = 0, d2 = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            d2 += (a[i] - b[i]) * (a[i] - b[i]);
        }
        return k.Kind switch
        {
            KernelKind.Linear => dot,
            KernelKind.Gaussian => Math.Exp(-k.Gamma * d2),
            KernelKind.Laplace => Math.Exp(-k.Gamma * Math.Sqrt(d2)),
            _ => Math.Pow(k.Gamma * dot + k.Coef0, k.Degree),
        };
    }

    public static TheoryData<ClassicalKernel> Kernels() =>
    [
        ClassicalKernel.Linear(),
        ClassicalKernel.Gaussian(0.3),
        ClassicalKernel.Laplace(0.7),
        ClassicalKernel.Polynomial(0.5, -1.0, 3),
        ClassicalKernel.Polynomial(2.0, 1.0, 1),
    ];

    [Theory]
    [MemberData(nameof(Kernels))]
    public void MatchesTheFormulaEntryByEntryAcrossBlockBoundaries(ClassicalKernel kernel)
    {
        var x1 = TestData.Random(17, 5, 1);
        var x2 = TestData.Random(9, 5, 2);
        foreach (var k in new[] { kernel, kernel with { BlockRows = 4 } })
        {
            var m = k.Compute(x1, x2);
            Assert.Equal(17, m.Rows);
            Assert.Equal(9, m.Cols);
            for (int i = 0; i < 17; i++)
                for (int j = 0; j < 9; j++)
                    Assert.Equal(Naive(k, x1.Row(i), x2.Row(j)), m[i, j], 1e-11 * Math.Max(1, Math.Abs(m[i, j])));
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void SymmetricCaseIsSymmetricPositiveSemidefiniteAndMatchesTheGeneralCase(ClassicalKernel kernel)
    {
        var x = TestData.Random(23, 4, 3);
        var k = (kernel with { BlockRows = 5 }).Compute(x);
        var general = kernel.Compute(x, x.Clone());
        Assert.True(k.MaxAbsDifference(general) < 1e-10 * Math.Max(1, k.Data.Max(Math.Abs)));
        for (int i = 0; i < 23; i++)
            for (int j = 0; j < 23; j++) Assert.Equal(k[i, j], k[j, i]);
        var eig = SymmetricEigen.Compute(k);
        if (kernel.Kind != KernelKind.Polynomial || kernel.Coef0 >= 0)
            Assert.True(eig.Values[0] > -1e-9 * Math.Abs(eig.Values[^1]), $"smallest eigenvalue {eig.Values[0]}");
        var diag = kernel.Diagonal(x);
        for (int i = 0; i < 23; i++) Assert.Equal(diag[i], k[i, i], 1e-10 * Math.Max(1, Math.Abs(diag[i])));
    }

    [Fact]
    public void GaussianAndLaplaceAreOneOnTheDiagonalAndInZeroOne()
    {
        var x = TestData.Random(40, 3, 4, scale: 1e3); // large norms: cancellation in ‖x‖² + ‖y‖² − 2x·y
        foreach (var kernel in new[] { ClassicalKernel.Gaussian(1e-6), ClassicalKernel.Laplace(1e-3) })
        {
            var k = kernel.Compute(x);
            for (int i = 0; i < 40; i++) Assert.Equal(1.0, k[i, i]);
            Assert.All(k.Data, v => Assert.InRange(v, 0.0, 1.0));
            var kk = kernel.Compute(x, x.Clone());
            for (int i = 0; i < 40; i++) Assert.Equal(1.0, kk[i, i], 1e-9);
        }
    }

    [Fact]
    public void BadArgumentsGetClearErrors()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ClassicalKernel.Gaussian(0));
        Assert.Contains("γ > 0", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassicalKernel.Polynomial(1, 0, 0));
        var shape = Assert.Throws<ArgumentException>(() => ClassicalKernel.Linear().Compute(new Matrix(2, 3), new Matrix(2, 4)));
        Assert.Contains("3 and 4 features", shape.Message);
    }

    [Fact]
    public void ReportsProgressToCompletion()
    {
        var x = TestData.Random(50, 3, 5);
        var reports = new List<Tangent.Engine.ProgressInfo>();
        var sink = new SyncProgress(reports);
        (ClassicalKernel.Gaussian(1) with { BlockRows = 8 }).Compute(x, null, sink);
        Assert.NotEmpty(reports);
        Assert.Equal(1.0, reports.Max(r => r.Fraction));
    }

    private sealed class SyncProgress(List<Tangent.Engine.ProgressInfo> list) : IProgress<Tangent.Engine.ProgressInfo>
    {
        public void Report(Tangent.Engine.ProgressInfo value)
        {
            lock (list) list.Add(value);
        }
    }
}
