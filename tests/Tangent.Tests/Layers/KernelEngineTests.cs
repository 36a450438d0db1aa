using Tangent.Engine;
using Tangent.Layers;
using Tangent.Numerics;
using static Tangent.Tests.Layers.LayerTestUtil;

namespace Tangent.Tests.Layers;

public sealed class KernelEngineTests
{
    private static Matrix Untiled(Architecture a, Matrix x1, Matrix x2, bool ntk)
        => Matrix.Build(x1.Rows, x2.Rows, (i, j) => { var s = a.Kernel(x1.Row(i), x2.Row(j)); return ntk ? s.Ntk : s.Nngp; });

    [Fact]
    public void HandComputedOneHiddenReluLayer()
    {
        var a = Architecture.Parse("dense relu dense");
        double r2 = Math.Sqrt(2);
        // Identical inputs with ||x||²/d = 1: q = 1 → relu: q/2, ntk 1·(1/2) → dense: nngp 1/2, ntk 1/2 + 1/2.
        var same = a.Kernel([r2, 0], [r2, 0]);
        Assert.Equal(0.5, same.Nngp, 1e-15);
        Assert.Equal(1.0, same.Ntk, 1e-15);
        // Orthogonal unit-variance inputs: θ = π/2 → nngp 1/(2π); the ntk before relu is q12 = 0 → Θ = 1/(2π).
        var orth = a.Kernel([r2, 0], [0, r2]);
        Assert.Equal(1 / (2 * Math.PI), orth.Nngp, 1e-15);
        Assert.Equal(1 / (2 * Math.PI), orth.Ntk, 1e-15);
        // Antipodal: θ = π → nngp 0, ntk factor 0.
        var anti = a.Kernel([r2, 0], [-r2, 0]);
        Assert.Equal(0, anti.Nngp, 1e-15);
        Assert.Equal(-0.0, anti.Ntk, 1e-15);
    }

    [Fact]
    public void CourseOneHiddenLayerFormulaOnTheUnitSphere()
    {
        // Dense(σw = √d) → ReLU → Dense(σw = √2): K = φ̌(ξ) + ξ·φ̌'(ξ), φ̌(ξ) = (ξ(π − arccos ξ) + √(1 − ξ²))/π.
        int d = 5;
        var a = new Architecture(new Dense(Math.Sqrt(d)), ABRelu.Relu(), new Dense(Math.Sqrt(2)));
        var x = RandomInputs(12, d, 3);
        for (int i = 0; i < x.Rows; i++)
        {
            var row = x.Row(i);
            double norm = Math.Sqrt(row.ToArray().Sum(v => v * v));
            for (int k = 0; k < d; k++) row[k] /= norm;
        }
        var k2 = a.ComputeKernels(x, null, KernelOutputs.Both, tileSize: 5);
        for (int i = 0; i < x.Rows; i++)
            for (int j = 0; j < x.Rows; j++)
            {
                double xi = i == j ? 1 : Math.Clamp(x.Row(i).ToArray().Zip(x.Row(j).ToArray(), (p, q) => p * q).Sum(), -1, 1);
                double check = (xi * (Math.PI - Math.Acos(xi)) + Math.Sqrt(1 - xi * xi)) / Math.PI;
                double deriv = (Math.PI - Math.Acos(xi)) / Math.PI;
                Assert.Equal(check, k2.Nngp[i, j], 1e-12);
                Assert.Equal(check + xi * deriv, k2.Ntk[i, j], 1e-12);
            }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(300)]
    public void SymmetricTiledEqualsUntiled(int n)
    {
        var a = Architecture.Parse("dense(w=1.5,b=0.1) relu dense(w=1.5,b=0.1) erf parallel{dense(w=1.2) gelu dense(w=0.9,b=0.1) | identity} dense(w=1)");
        var x = RandomInputs(n, 7, n);
        var k = a.ComputeKernels(x, null, KernelOutputs.Both, tileSize: 64);
        var sub = Enumerable.Range(0, n).Where(i => i % 23 == 0 || i == n - 1).ToArray();
        var xs = x.SelectRows(sub);
        var refNngp = Untiled(a, xs, xs, false);
        var refNtk = Untiled(a, xs, xs, true);
        for (int p = 0; p < sub.Length; p++)
            for (int q = 0; q < sub.Length; q++)
            {
                Assert.Equal(refNngp[p, q], k.Nngp[sub[p], sub[q]], 1e-12);
                Assert.Equal(refNtk[p, q], k.Ntk[sub[p], sub[q]], 1e-12);
            }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                Assert.Equal(k.Ntk[i, j], k.Ntk[j, i]);
    }

    [Theory]
    [MemberData(nameof(Tangent.Tests.Numerics.ProviderTests.Providers), MemberType = typeof(Tangent.Tests.Numerics.ProviderTests))]
    public void EveryProviderGivesTheSameKernel(string provider)
    {
        var a = Architecture.Parse("dense(w=1.5,b=0.1) relu dense(w=1.5,b=0.1) erf dense");
        var x = RandomInputs(130, 9, 4);
        var k = a.ComputeKernels(x, null, KernelOutputs.Both, tileSize: 32, provider: Tangent.Tests.Numerics.ProviderTests.Get(provider));
        Assert.True(Untiled(a, x, x, true).MaxAbsDifference(k.Ntk) < 1e-12);
        Assert.True(Untiled(a, x, x, false).MaxAbsDifference(k.Nngp) < 1e-12);
    }

    [Fact]
    public void TrainByTestEqualsUntiledAndEachOutputAlone()
    {
        var a = Architecture.Parse("dense(w=1.4,b=0.3) relu repeat(2){dense(w=1.4,b=0.3) leaky_relu(alpha=0.2)} dense(w=1)");
        var x1 = RandomInputs(70, 4, 1);
        var x2 = RandomInputs(33, 4, 2);
        var both = a.ComputeKernels(x1, x2, KernelOutputs.Both, tileSize: 16);
        var nngpOnly = a.ComputeKernels(x1, x2, KernelOutputs.Nngp, tileSize: 64);
        var ntkOnly = a.ComputeKernels(x1, x2, KernelOutputs.Ntk, tileSize: 7);
        Assert.False(nngpOnly.HasNtk);
        Assert.Contains("KernelOutputs.Ntk", Assert.Throws<InvalidOperationException>(() => nngpOnly.Ntk).Message);
        Assert.False(ntkOnly.HasNngp);
        Assert.True(Untiled(a, x1, x2, false).MaxAbsDifference(both.Nngp) < 1e-12);
        Assert.True(Untiled(a, x1, x2, true).MaxAbsDifference(both.Ntk) < 1e-12);
        Assert.True(both.Nngp.MaxAbsDifference(nngpOnly.Nngp) < 1e-12);
        Assert.True(both.Ntk.MaxAbsDifference(ntkOnly.Ntk) < 1e-12);
    }

    [Fact]
    public void IdenticalAntipodalAndZeroInputsGiveNoNaN()
    {
        var x = Matrix.FromRows([1, 2, 3], [1, 2, 3], [-1, -2, -3], [0, 0, 0], [1e-160, 0, 0], [3e50, -2e50, 1e50]);
        foreach (string spec in new[] { "dense relu dense relu dense", "dense erf dense", "dense gelu dense", "dense abs dense",
                     "dense(w=2,b=0) relu dense(w=2)", "dense sign dense", "dense leaky_relu(alpha=0.1) dense" })
        {
            var a = Architecture.Parse(spec);
            var k = a.ComputeKernels(x, null, a.HasNtk ? KernelOutputs.Both : KernelOutputs.Nngp, tileSize: 4);
            Assert.True(k.Nngp.AllFinite(), spec);
            if (a.HasNtk) Assert.True(k.Ntk.AllFinite(), spec);
            Assert.Equal(0.0, k.Nngp[3, 3]); // zero-norm input with σb = 0: ReLU of q11 = 0 gives 0, no 0/0
            Assert.Equal(k.Nngp[0, 0], k.Nngp[0, 1], 1e-12 * Math.Abs(k.Nngp[0, 0]));   // identical inputs: the diagonal's value
            if (a.HasNtk) Assert.Equal(k.Ntk[0, 0], k.Ntk[0, 1], 1e-12 * Math.Abs(k.Ntk[0, 0]));
            if (spec == "dense relu dense relu dense")
                Assert.Equal(0.0, Architecture.Parse("dense relu dense").ComputeKernels(x).Nngp[0, 2], 1e-12); // antipodal, one ReLU: 0
        }
    }

    [Fact]
    public void DeepReluWithLargeWeightsStaysFinite()
    {
        var a = new Architecture(new Repeat(100, new Serial([new Dense(2, 0.5), ABRelu.Relu()])), new Dense(2));
        var x = RandomInputs(20, 3, 9);
        var k = a.ComputeKernels(x, null, KernelOutputs.Both);
        Assert.True(k.Nngp.AllFinite());
        Assert.True(k.Ntk.AllFinite());
        Assert.True(k.Nngp[0, 0] > 1e28); // variance grows like (σw²/2)^L = 2^100
    }

    [Fact]
    public void StandardParameterizationNtkFormula()
    {
        // One layer: Θ = n_in·q + σw²·0 + 1 (bias), q = x·x'/d, so Θ = x·x' + 1; nngp = σw²·q + σb².
        var a = Architecture.Parse("dense(w=1.3,b=0.2,param=standard,width=64) relu dense(w=0.9,b=0.1,param=standard)");
        double[] x1 = [1, 2, -1], x2 = [0.5, -1, 2];
        double q = (0.5 - 2 - 2) / 3.0, q11 = 6 / 3.0, q22 = 5.25 / 3.0;
        var first = new Dense(1.3, 0.2, Parameterization.Standard, 64).Apply(KernelState.FromInputs(x1, x2));
        Assert.Equal(3 * q + 1, first.Ntk, 1e-14);
        Assert.Equal(1.69 * q + 0.04, first.Nngp, 1e-14);
        Assert.Equal(64, first.Width);
        // Second layer: Θ = 64·relu(nngp) + σw²·Θ_relu + 1.
        var r = ABRelu.Relu().Apply(first);
        var expected = 64 * r.Nngp + 0.81 * r.Ntk + 1;
        Assert.Equal(expected, a.Kernel(x1, x2).Ntk, 1e-12);
        Assert.Equal(1.69 * q11 + 0.04, first.Cov1, 1e-14);
        Assert.Equal(1.69 * q22 + 0.04, first.Cov2, 1e-14);
    }

    [Fact]
    public void StandardWithoutInputWidthExplainsTheFix()
    {
        var a = Architecture.Parse("dense relu dense(param=standard)");
        var e = Assert.Throws<InvalidOperationException>(() => a.ComputeKernels(RandomInputs(3, 2, 1)));
        Assert.Contains("width=", e.Message);
    }

    [Fact]
    public void SignHasNoNtk()
    {
        var a = Architecture.Parse("dense sign dense");
        var e = Assert.Throws<NotSupportedException>(() => a.ComputeKernels(RandomInputs(3, 2, 1), null, KernelOutputs.Ntk));
        Assert.Contains("KernelOutputs.Nngp", e.Message);
        var k = a.ComputeKernels(RandomInputs(3, 2, 1), null, KernelOutputs.Nngp);
        Assert.Equal(1.0, k.Nngp[1, 1], 1e-14);
    }

    [Fact]
    public void ReportsProgressAndHonoursCancellation()
    {
        var a = Architecture.Parse("dense relu dense");
        var x = RandomInputs(100, 3, 1);
        long last = 0, total = 0;
        var progress = new SyncProgress(p => { last = Math.Max(last, p.Done); total = p.Total; });
        a.ComputeKernels(x, null, KernelOutputs.Both, progress, tileSize: 32);
        Assert.Equal(total, last);
        Assert.True(total > 0);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => a.ComputeKernels(x, null, KernelOutputs.Both, null, cts.Token));
    }

    [Fact]
    public void MismatchedColumnsNameBothShapes()
    {
        var a = Architecture.Parse("dense relu");
        var e = Assert.Throws<ArgumentException>(() => a.ComputeKernels(RandomInputs(3, 2, 1), RandomInputs(4, 5, 1)));
        Assert.Contains("3×2", e.Message);
        Assert.Contains("4×5", e.Message);
    }

    [Fact]
    public void QuadratureActivationInTheEngineMatchesTheClosedForm()
    {
        // Gauss–Hermite converges slowly when φ' = e^{−x²} is narrow against N(0, q) (large q), so the
        // variances here stay ≤ 1.5; the error estimate flags the hard case.
        var erf = new Erf();
        var numeric = new NumericalActivation("erf-by-quadrature", erf.Phi, erf.Derivative, degree: 80);
        var x = RandomInputs(8, 4, 8);
        for (int k = 0; k < x.Data.Length; k++) x.Data[k] *= 0.6;
        var exact = new Architecture(new Dense(1.1, 0.2), erf, new Dense(1.1, 0.1)).ComputeKernels(x, null, KernelOutputs.Both, tileSize: 5);
        var quad = new Architecture(new Dense(1.1, 0.2), numeric, new Dense(1.1, 0.1)).ComputeKernels(x, null, KernelOutputs.Both, tileSize: 5);
        double en = exact.Nngp.MaxAbsDifference(quad.Nngp), et = exact.Ntk.MaxAbsDifference(quad.Ntk);
        Assert.True(en < 1e-8 && et < 1e-8, $"nngp {en}, ntk {et}");
        var coarse = new NumericalActivation("erf", erf.Phi, erf.Derivative, degree: 16);
        Assert.True(coarse.ErrorEstimate(5, 2, 5).NtkFactor > 1e-4);
    }

    [Fact]
    public void NonFiniteInputsNameTheRowAndColumn()
    {
        var x = Matrix.FromRows([1, 2, 3], [1, double.NaN, 3]);
        var e = Assert.Throws<ArgumentException>(() => Architecture.Parse("dense relu").ComputeKernels(x));
        Assert.Contains("X1 row 2, column 2 is NaN", e.Message);
    }

    [Fact]
    public void EmptyInputsGiveEmptyKernels()
    {
        var a = Architecture.Parse("dense relu dense");
        Assert.Equal("0×0", a.ComputeKernels(new Matrix(0, 3)).Ntk.Shape);
        Assert.Equal("2×0", a.ComputeKernels(RandomInputs(2, 3, 1), new Matrix(0, 3)).Nngp.Shape);
    }

    private sealed class SyncProgress(Action<ProgressInfo> report) : IProgress<ProgressInfo>
    {
        private readonly object _gate = new();
        public void Report(ProgressInfo value) { lock (_gate) report(value); }
    }
}
