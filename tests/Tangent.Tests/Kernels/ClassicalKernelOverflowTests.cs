using FsCheck;
using FsCheck.Fluent;
using Tangent.Kernels;
using Tangent.Numerics;

namespace Tangent.Tests.Kernels;

/// <summary>A classical kernel never returns a non-finite matrix silently, and refuses non-finite inputs.</summary>
public sealed class ClassicalKernelOverflowTests
{
    [Fact]
    public void LinearInputsAt1e160OverflowWithTheEntryAndTheFix()
    {
        var x = Matrix.FromRows([1.0, 2], [1e160, 0], [3, 4]);
        var e = Assert.Throws<KernelOverflowException>(() => ClassicalKernel.Linear().Compute(x));
        Assert.IsAssignableFrom<InvalidOperationException>(e);   // the CLI reports it as bad input (exit 2)
        Assert.Equal(("linear", 2, 2), (e.Kernel, e.Row, e.Column));
        Assert.StartsWith("linear kernel x·x' overflowed at entry (2, 2): x·x' = Infinity", e.Message);
        Assert.Contains("the largest |input| in these rows is 1E+160", e.Message);
        Assert.Contains("Rescale or standardize the inputs", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal((2, 2), Pos(Assert.Throws<KernelOverflowException>(() => ClassicalKernel.Linear().Diagonal(x))));
    }

    [Theory]
    [InlineData(KernelKind.Gaussian, "exp(-γ‖x−x'‖²)")]
    [InlineData(KernelKind.Laplace, "exp(-γ‖x−x'‖)")]
    public void DistanceKernelsInputsAt1e160OverflowNamingTheRowWhoseNormOverflowed(KernelKind kind, string formula)
    {
        var k = new ClassicalKernel(kind, gamma: 0.5);
        var x = Matrix.FromRows([1.0, 2], [1e160, 0], [3, 4]);
        // Symmetric: row 2's norm poisons row 2 and column 2; the first entry in row-major order is (1, 2).
        var e = Assert.Throws<KernelOverflowException>(() => k.Compute(x));
        Assert.Equal((1, 2), (e.Row, e.Column));
        Assert.StartsWith($"{k.Describe()} kernel {formula} overflowed at entry (1, 2): the squared norm ‖x‖² of X row 2 is Infinity", e.Message);
        Assert.Contains("its largest |entry| is 1E+160", e.Message);
        Assert.Contains("Rescale or standardize the inputs", e.Message);
        // K(X1, X2): a bad X1 row gives its row, a bad X2 row its column.
        var ok = Matrix.FromRows([1.0, 2], [3, 4]);
        Assert.Equal((2, 1), Pos(Assert.Throws<KernelOverflowException>(() => k.Compute(x.SliceRows(0, 2), ok))));
        var e2 = Assert.Throws<KernelOverflowException>(() => k.Compute(ok, x));
        Assert.Equal((1, 2), Pos(e2));
        Assert.Contains("of X2 row 2", e2.Message);
        // The diagonal of a distance kernel is exactly 1, whatever the norms.
        Assert.Equal([1.0, 1, 1], k.Diagonal(x));
    }

    private static (int, int) Pos(KernelOverflowException e) => (e.Row, e.Column);

    [Fact]
    public void PolynomialDegree2000OverflowsNamingTheBaseAndTheFix()
    {
        var x = Matrix.FromRows([0.1, 0.2], [3, 1.5], [0.2, 0.1]);
        var k = ClassicalKernel.Polynomial(1.0, 1.0, 2000);
        var e = Assert.Throws<KernelOverflowException>(() => k.Compute(x));
        // Row 1: |γ·x·x'+c| ≤ 1.6, 1.6^2000 overflows already at (1, 2): 1 + 0.3 + 0.3 = 1.6.
        Assert.Equal((1, 2), (e.Row, e.Column));
        Assert.StartsWith("polynomial(gamma=1,coef0=1,degree=2000) kernel (γ·x·x'+c)^2000 overflowed at entry (1, 2): |γ·x·x'+c| = 1.6, and its power 2000 is about 1e408", e.Message);
        Assert.Contains("smaller degree or γ", e.Message);
        // Small enough bases stay finite (underflow to 0 is fine).
        var small = Matrix.FromRows([0.01, 0.0], [0.0, 0.01]);
        Assert.True(ClassicalKernel.Polynomial(1.0, 0.0, 2000).Compute(small).AllFinite());
        // Inputs at 1e160: the base itself overflows.
        var huge = Matrix.FromRows([1e160, 1.0]);
        var h = Assert.Throws<KernelOverflowException>(() => ClassicalKernel.Polynomial(1.0, 1.0, 2).Compute(huge));
        Assert.Contains("γ·x·x'+c = Infinity", h.Message);
        Assert.Contains("or use a smaller γ", h.Message);
        // The diagonal: 1.05^2000 is finite, (1 + 9 + 2.25)^2000 is not.
        Assert.Equal((2, 2), Pos(Assert.Throws<KernelOverflowException>(() => k.Diagonal(x))));
    }

    [Fact]
    public void NonFiniteInputsAreRefusedAsForNetworkKernels()
    {
        var good = Matrix.FromRows([1.0, 2], [3, 4]);
        var bad = Matrix.FromRows([1.0, 2], [3, double.NaN]);
        foreach (var k in new[] { ClassicalKernel.Linear(), ClassicalKernel.Gaussian(1), ClassicalKernel.Laplace(1), ClassicalKernel.Polynomial(1, 1, 2) })
        {
            Assert.Contains("X1 row 2, column 2 is NaN", Assert.Throws<ArgumentException>(() => k.Compute(bad)).Message);
            Assert.Contains("X2 row 2, column 2 is NaN", Assert.Throws<ArgumentException>(() => k.Compute(good, bad)).Message);
            Assert.Contains("X row 2, column 2 is NaN", Assert.Throws<ArgumentException>(() => k.Diagonal(bad)).Message);
        }
        var inf = Matrix.FromRows([double.PositiveInfinity]);
        Assert.Contains("is Infinity: kernels need finite inputs", Assert.Throws<ArgumentException>(() => ClassicalKernel.Gaussian(1).Compute(inf)).Message);
    }

    /// <summary>
    /// Inputs of magnitude 1, 1e75 or 1e160: a product overflows exactly when two 1e160 coordinates
    /// meet, so the first non-finite entry is known; the exception must name it, for any block size.
    /// </summary>
    [Fact]
    public void PropertyTheReportedEntryIsTheFirstNonFiniteOne()
    {
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
        {
            var rng = new Random(seed);
            int n1 = rng.Next(1, 9), n2 = rng.Next(1, 9), d = rng.Next(1, 4);
            double[] scales = [1, 1e75, 1e160];
            Matrix Make(int n) => Matrix.Build(n, d, (_, _) => (rng.Next(2) == 0 ? -1 : 1) * (1 + rng.NextDouble()) * scales[rng.Next(scales.Length)]);
            var x1 = Make(n1);
            bool symmetric = rng.Next(2) == 0;
            var x2 = symmetric ? x1 : Make(n2);
            (int, int)? expected = null;
            for (int i = 0; i < x1.Rows && expected is null; i++)
                for (int j = 0; j < x2.Rows && expected is null; j++)
                    for (int p = 0; p < d; p++)
                        if (Math.Abs(x1[i, p]) >= 1e160 && Math.Abs(x2[j, p]) >= 1e160) { expected = (i + 1, j + 1); break; }
            var k = (rng.Next(2) == 0 ? ClassicalKernel.Linear() : ClassicalKernel.Polynomial(1e-300, 0, 1)) with { BlockRows = rng.Next(1, 4) };
            try
            {
                var m = k.Compute(x1, symmetric ? null : x2);
                return expected is null && m.AllFinite();
            }
            catch (KernelOverflowException e)
            {
                return expected == (e.Row, e.Column);
            }
        }).QuickCheckThrowOnFailure();
    }
}
