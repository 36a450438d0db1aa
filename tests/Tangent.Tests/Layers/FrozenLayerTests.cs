using Tangent.Layers;
using Tangent.Numerics;
using static Tangent.Tests.Layers.LayerTestUtil;

namespace Tangent.Tests.Layers;

/// <summary>
/// Frozen layers (fixed at initialisation, Arora et al. 2020; docs/MATH.md §7): closed forms of the kernel rule,
/// the spec text, <see cref="Architecture.FreezeBottom"/> and Monte-Carlo averages of finite networks whose first
/// layers are not trained.
/// </summary>
public sealed class FrozenLayerTests
{
    private static readonly Matrix X = MonteCarloInputs();

    /// <summary>E[relu(u)·relu(v)] for (u, v) ~ N(0, [[q11, q12], [q12, q22]]) (Cho and Saul 2009) and E[relu'(u)·relu'(v)].</summary>
    private static (double Phi, double Dot) Relu(double q11, double q12, double q22)
    {
        double s = Math.Sqrt(q11 * q22), c = Math.Clamp(q12 / s, -1, 1), theta = Math.Acos(c);
        return (s / (2 * Math.PI) * (Math.Sin(theta) + (Math.PI - theta) * c), (Math.PI - theta) / (2 * Math.PI));
    }

    private static double Dot(Matrix x, int i, int j)
    {
        double s = 0;
        for (int k = 0; k < x.Cols; k++) s += x[i, k] * x[j, k];
        return s / x.Cols;
    }

    [Fact]
    public void OneHiddenLayerWithTheFirstLayerFrozenHasTheReadoutsNngpAsItsNtk()
    {
        const double w1 = 1.3, b1 = 0.2, w2 = 1.1, b2 = 0.1;
        var frozen = Architecture.Parse($"dense(w={w1},b={b1},frozen=true) relu dense(w={w2},b={b2})");
        var trained = Architecture.Parse($"dense(w={w1},b={b1}) relu dense(w={w2},b={b2})");
        var k = frozen.ComputeKernels(X);
        var full = trained.ComputeKernels(X);
        for (int i = 0; i < X.Rows; i++)
            for (int j = 0; j < X.Rows; j++)
            {
                double q11 = w1 * w1 * Dot(X, i, i) + b1 * b1, q22 = w1 * w1 * Dot(X, j, j) + b1 * b1, q12 = w1 * w1 * Dot(X, i, j) + b1 * b1;
                var (phi, dot) = Relu(q11, q12, q22);
                double nngp = w2 * w2 * phi + b2 * b2;
                Assert.Equal(nngp, k.Nngp[i, j], 12);
                Assert.Equal(nngp, k.Ntk[i, j], 12);                                       // Θ = the readout's own term only
                Assert.Equal(nngp + w2 * w2 * q12 * dot, full.Ntk[i, j], 12);               // trained: + the first layer's term
                Assert.Equal(k.Ntk[i, j], frozen.Kernel(X.Row(i), X.Row(j)).Ntk, 12);      // the per-pair recursion agrees
            }
    }

    [Fact]
    public void AFrozenStandardLayerDropsTheWidthTermsAndNeedsNoInputWidth()
    {
        // Standard parameterization, first layer frozen: Θ = n_in·q12(relu) + σw²·0 + 1 of the readout (its n_in = 7).
        var arch = Architecture.Parse("dense(w=1.2,b=0.3,param=standard,width=7,frozen=true) relu dense(w=0.9,b=0.4,param=standard)");
        var k = arch.ComputeKernels(X);
        for (int i = 0; i < X.Rows; i++)
            for (int j = 0; j < X.Rows; j++)
            {
                double q(int a) => 1.44 * Dot(X, a, a) + 0.09;
                var (phi, _) = Relu(q(i), 1.44 * Dot(X, i, j) + 0.09, q(j));
                Assert.Equal(7 * phi + 1, k.Ntk[i, j], 11);
            }
        // Frozen on the readout too: no n_in is needed anywhere, and nothing is trained.
        var none = Architecture.Parse("dense(w=1.2,param=standard,frozen=true) relu dense(w=0.9,b=0.4,param=standard,frozen=true)").ComputeKernels(X);
        Assert.All(none.Ntk.Data, v => Assert.Equal(0, v));
        Assert.Throws<InvalidOperationException>(() => Architecture.Parse("dense(w=1.2,param=standard) relu dense(w=0.9,param=standard)").ComputeKernels(X));
    }

    [Theory]
    [InlineData("dense(w=1.4,b=0.1) relu dense(w=1.3,b=0.2) erf dense(w=1.1,b=0.3)", null)]
    [InlineData("dense(w=1.2) repeat(3){relu dense(w=1.4,b=0.1)}", null)]
    [InlineData("conv(size=3,w=1.41,b=0.1) relu conv(size=2,w=1.2) relu flatten dense(w=1,b=0.2)", "4x4x2")]
    [InlineData("conv_transpose(size=2,w=1.3,b=0.1,stride=2) relu global_avg_pool dense(w=1.2)", "3x3x1")]
    public void FreezingEveryLayerButTheReadoutMakesTheNtkTheNngp(string spec, string? shape)
    {
        var arch = Architecture.Parse(spec);
        var x = X;
        if (shape is not null)
        {
            var s = ImageShape.Parse(shape);
            arch = arch.WithInputShape(s);
            x = RandomInputs(4, s.Features, 3);
        }
        var frozen = arch.FreezeBottom(arch.ParametrisedLayerCount - 1);
        var k = frozen.ComputeKernels(x);
        var trained = arch.ComputeKernels(x);
        Assert.True(k.Ntk.MaxAbsDifference(k.Nngp) < 1e-12 * k.Nngp.Data.Max(Math.Abs), $"{frozen}: Θ ≠ NNGP");
        Assert.True(k.Nngp.MaxAbsDifference(trained.Nngp) < 1e-13 * k.Nngp.Data.Max(Math.Abs), "freezing changed the NNGP");
        Assert.True(trained.Ntk.MaxAbsDifference(k.Ntk) > 0.1 * k.Ntk.Data.Max(Math.Abs), "the trained NTK should differ");
        // Every layer frozen: nothing is trained, Θ = 0.
        Assert.All(arch.FreezeBottom(arch.ParametrisedLayerCount).ComputeKernels(x).Ntk.Data, v => Assert.Equal(0, v));
    }

    [Theory]
    [InlineData("dense(w=1.41,frozen=true)", "dense(w=1.41,frozen=true)")]
    [InlineData("dense(frozen=true)", "dense(w=1,frozen=true)")]
    [InlineData("dense(frozen=false)", "dense")]
    [InlineData("dense(w=2,b=0.1,param=standard,width=5,frozen=true)", "dense(w=2,b=0.1,param=standard,width=5,frozen=true)")]
    [InlineData("conv(size=3,frozen=true)", "conv(size=3,w=1,frozen=true)")]
    [InlineData("conv_transpose(size=2,stride=2,frozen=true)", "conv_transpose(size=2,w=1,stride=2,frozen=true)")]
    public void TheFrozenFlagIsPrintedOnlyWhenSetAndParsesBack(string spec, string printed)
    {
        var layer = Architecture.ParseLayer(spec);
        Assert.Equal(printed, layer.ToString());
        Assert.Equal(printed, Architecture.ParseLayer(printed).ToString());
        Assert.Equal(spec.Contains("frozen=true", StringComparison.Ordinal), layer is Dense d ? d.Frozen : ((Conv)layer).Frozen);
        Assert.IsType(layer.GetType(), layer is Dense dd ? dd.WithFrozen(false) : ((Conv)layer).WithFrozen(false));
    }

    [Fact]
    public void AFrozenFlagOtherThanTrueOrFalseIsRefusedAtItsColumn()
    {
        var e = Assert.Throws<FormatException>(() => Architecture.Parse("dense relu dense(frozen=yes)"));
        Assert.Contains("column 25", e.Message, StringComparison.Ordinal);
        Assert.Contains("frozen must be true or false, got 'yes'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FreezeBottomCountsParametrisedLayersUnrolledAndSplitsAPartlyFrozenRepeat()
    {
        var arch = Architecture.Parse("dense(w=1.41) repeat(3){relu dense(w=1.41)}");
        Assert.Equal(4, arch.ParametrisedLayerCount);
        Assert.Same(arch, arch.FreezeBottom(0));
        Assert.Equal("dense(w=1.41,frozen=true) repeat(3){relu dense(w=1.41)}", arch.FreezeBottom(1).ToString());
        Assert.Equal("dense(w=1.41,frozen=true) relu dense(w=1.41,frozen=true) repeat(2){relu dense(w=1.41)}", arch.FreezeBottom(2).ToString());
        Assert.Equal("dense(w=1.41,frozen=true) repeat(2){relu dense(w=1.41,frozen=true)} relu dense(w=1.41)", arch.FreezeBottom(3).ToString());
        Assert.Equal("dense(w=1.41,frozen=true) repeat(3){relu dense(w=1.41,frozen=true)}", arch.FreezeBottom(4).ToString());
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => arch.FreezeBottom(5));
        Assert.Contains("it has 4 (dense, conv); give 0..4", e.Message, StringComparison.Ordinal);

        // A body with two parametrised layers frozen in part; branches in written order; nested groups kept.
        var deep = Architecture.Parse("repeat(3){dense(w=1.2) relu dense(w=1.3)} parallel{identity | dense(w=0.9) relu dense(w=1.1)} {erf dense}");
        Assert.Equal(9, deep.ParametrisedLayerCount);
        Assert.Equal("dense(w=1.2,frozen=true) relu dense(w=1.3,frozen=true) dense(w=1.2,frozen=true) relu dense(w=1.3) " +
                     "dense(w=1.2) relu dense(w=1.3) parallel{identity | dense(w=0.9) relu dense(w=1.1)} {erf dense}", deep.FreezeBottom(3).ToString());
        Assert.Equal("repeat(3){dense(w=1.2,frozen=true) relu dense(w=1.3,frozen=true)} parallel{identity | dense(w=0.9,frozen=true) relu dense(w=1.1)} {erf dense}",
            deep.FreezeBottom(7).ToString());
        Assert.Equal(9, deep.FreezeBottom(3).ParametrisedLayerCount);
        // The kernels of the rewritten architecture are those of the same network written out by hand.
        var written = Architecture.Parse("dense(w=1.2,frozen=true) relu dense(w=1.3,frozen=true) dense(w=1.2,frozen=true) relu dense(w=1.3) dense(w=1.2) relu dense(w=1.3) " +
                                         "parallel{identity | dense(w=0.9) relu dense(w=1.1)} erf dense");
        Assert.True(deep.FreezeBottom(3).ComputeKernels(X).Ntk.MaxAbsDifference(written.ComputeKernels(X).Ntk) < 1e-12);
        // An image architecture keeps its input shape.
        var cnn = Architecture.Parse("conv(size=3) relu conv(size=3) relu flatten dense").WithInputShape(new ImageShape(4, 4, 1));
        Assert.Equal(new ImageShape(4, 4, 1), cnn.FreezeBottom(2).InputShape);
        Assert.Equal("conv(size=3,w=1,frozen=true) relu conv(size=3,w=1,frozen=true) relu flatten dense", cnn.FreezeBottom(2).ToString());
    }

    /// <summary>Wide finite networks with their first one or two layers frozen: the Monte-Carlo average of the
    /// empirical NTK (over the trainable parameters only) is the frozen infinite-width NTK, which is far from the
    /// NTK of the network trained in full.</summary>
    [Theory]
    [InlineData("dense(w=1.3,b=0.2,frozen=true) relu dense(w=1.2,b=0.1) erf dense(w=1.1,b=0.1)")]
    [InlineData("dense(w=1.3,b=0.2,frozen=true) relu dense(w=1.2,b=0.1,frozen=true) erf dense(w=1.1,b=0.1) relu dense(w=1)")]
    [InlineData("dense(w=1.2,frozen=true) relu dense(w=1.4,b=0.1,frozen=true) repeat(2){relu dense(w=1.4,b=0.1)}")]
    public void MonteCarloAveragesOfFrozenNetworksMatchTheFrozenNtk(string spec)
    {
        MonteCarloTests.Check(spec, KernelOutputs.Both, 0.05);
        var frozen = Architecture.Parse(spec).ComputeKernels(X).Ntk;
        var trained = Architecture.Parse(spec.Replace(",frozen=true", "", StringComparison.Ordinal)).ComputeKernels(X).Ntk;
        Assert.True(RelativeFrobenius(trained, frozen) > 0.2, $"{spec}: freezing should change the NTK by far more than the Monte-Carlo error");
    }

    [Fact]
    public void MonteCarloAveragesOfACnnWithAFrozenConvMatchTheFrozenNtk()
    {
        var shape = new ImageShape(5, 5, 2);
        var arch = Architecture.Parse("conv(size=3,w=1.41,b=0.1,frozen=true) relu conv(size=3,w=1.3) relu flatten dense(w=1)").WithInputShape(shape);
        var x = RandomInputs(4, shape.Features, 21);
        var exact = arch.ComputeKernels(x, null, KernelOutputs.Ntk).Ntk;
        var mc = Tangent.Networks.EmpiricalKernels.MonteCarlo(arch, x, null, 256, 6, seed: 5, KernelOutputs.Ntk).Ntk;
        Assert.True(RelativeFrobenius(mc, exact) < 0.1, $"NTK relative Frobenius error {RelativeFrobenius(mc, exact):G3}");
        var trained = Architecture.Parse("conv(size=3,w=1.41,b=0.1) relu conv(size=3,w=1.3) relu flatten dense(w=1)").WithInputShape(shape).ComputeKernels(x, null, KernelOutputs.Ntk).Ntk;
        Assert.True(RelativeFrobenius(trained, exact) > 0.2);
    }
}
