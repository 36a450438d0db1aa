using Tangent.Layers;
using Tangent.Networks;
using Tangent.Numerics;
using static Tangent.Tests.Layers.LayerTestUtil;

namespace Tangent.Tests.Layers;

/// <summary>
/// dropout, layer_norm, sum_pool/global_sum_pool and product{…} (Tangent issue 10): each kernel rule
/// against the Monte-Carlo average of its finite twin (docs/MATH.md §3), plus the exact relations and
/// refusals of docs/LAYERS.md, "Dropout, layer_norm, sum pooling, product".
/// </summary>
public sealed class NewLayerTests
{
    private const int Width = 256, Samples = 64;

    private static readonly Matrix X = MonteCarloInputs();


    /// <summary>Kernel against Monte Carlo; when <paramref name="without"/> is given, the kernel of the
    /// spec without that layer must be off by more than <paramref name="offBy"/> (the layer's effect is visible).</summary>
    private static void MonteCarlo(string spec, double tolerance, int width = Width, int samples = Samples, string? without = null, double offBy = 0)
    {
        var arch = Architecture.Parse(spec);
        var exact = arch.ComputeKernels(X);
        var mc = EmpiricalKernels.MonteCarlo(arch, X, null, width, samples, seed: 4321);
        double en = RelativeFrobenius(mc.Nngp, exact.Nngp), et = RelativeFrobenius(mc.Ntk, exact.Ntk);
        Assert.True(en < tolerance, $"{spec}: NNGP relative Frobenius error {en:G3} ≥ {tolerance}");
        Assert.True(et < tolerance, $"{spec}: NTK relative Frobenius error {et:G3} ≥ {tolerance}");
        if (without is null) return;
        var other = Architecture.Parse(spec.Replace(without + " ", "")).ComputeKernels(X);
        double on = RelativeFrobenius(mc.Nngp, other.Nngp), ot = RelativeFrobenius(mc.Ntk, other.Ntk);
        Assert.True(on > offBy && ot > offBy, $"{spec} without {without}: only {on:G3} (NNGP), {ot:G3} (NTK) from Monte Carlo, not above {offBy}");
    }

    /// <summary>The tiled row engine (symmetric, small tiles) agrees with the one-pair recursion off the diagonal.</summary>
    private static void EngineMatchesRecursion(string spec, bool diagonalToo)
    {
        var arch = Architecture.Parse(spec);
        var k = arch.ComputeKernels(X, null, KernelOutputs.Both, tileSize: 2);
        for (int i = 0; i < X.Rows; i++)
            for (int j = 0; j < X.Rows; j++)
            {
                if (i == j && !diagonalToo) continue;
                var s = arch.Kernel(X.Row(i), X.Row(j));
                Assert.Equal(s.Nngp, k.Nngp[i, j], 1e-12);
                Assert.Equal(s.Ntk, k.Ntk[i, j], 1e-12);
            }
    }

    /// <summary>The finite twins' backward passes: the empirical NTK equals J·Jᵀ from central differences
    /// (dropout is left out: its mask is redrawn on every forward pass).</summary>
    [Theory]
    [InlineData("dense(w=1.3,b=0.2) layer_norm erf dense(w=0.7,b=0.5) layer_norm dense(w=1.1,b=0.1)", null)]
    [InlineData("dense(w=1.2) erf product{dense(w=1.1,b=0.2) erf dense(w=0.9) | dense(w=1.3,b=0.1) | identity} dense", null)]
    [InlineData("conv(size=2,w=1.2,b=0.1) erf sum_pool(size=2,stride=1) conv(size=2,w=0.8) erf global_sum_pool dense(w=0.5)", "4x4x1")]
    public void EmpiricalNtkEqualsFiniteDifferenceJacobianProduct(string spec, string? shape)
    {
        var arch = Architecture.Parse(spec);
        if (shape is not null) arch = arch.WithInputShape(ImageShape.Parse(shape));
        int d = shape is null ? 3 : 16;
        var net = arch.Initialize(d, 4, new Random(5));
        var x = RandomInputs(4, d, 6);
        var ntk = Network.Create(arch, d, 4, outputs: 4, seed: 5).Ntk(x);   // the same parameters as net
        var expected = FiniteDifferenceJacobianGram(net, x);   // J(x) by central differences, then J·Jᵀ
        Assert.True(RelativeFrobenius(ntk, expected) < 1e-7, $"{spec}: backprop vs finite differences: {RelativeFrobenius(ntk, expected):G3}");
    }

    // ---- dropout ----

    [Theory]
    [InlineData("dense(w=1.3,b=0.2) relu dropout(rate=0.3) dense(w=1.1,b=0.1)", "dropout(rate=0.3)")]
    [InlineData("dense(w=1.2) erf dropout(rate=0.5) dense(w=1.4,b=0.1) relu dense(w=1)", "dropout(rate=0.5)")]
    public void DropoutMatchesMonteCarlo(string spec, string layer) => MonteCarlo(spec, 0.04, samples: 256, without: layer, offBy: 0.1);

    [Fact]
    public void DropoutScalesOnlyTheDiagonalOfTheSymmetricKernel()
    {
        var arch = Architecture.Parse("dense(w=1.3,b=0.2) relu dense(w=1.1) dropout(rate=0.25)");
        var plain = Architecture.Parse("dense(w=1.3,b=0.2) relu dense(w=1.1)").ComputeKernels(X);
        var sym = arch.ComputeKernels(X, null, KernelOutputs.Both, tileSize: 2);
        var separate = arch.ComputeKernels(X, X.Clone());   // X2 a different input set: no entry is a sample with itself
        var diag = arch.NngpDiagonal(X);
        for (int i = 0; i < X.Rows; i++)
            for (int j = 0; j < X.Rows; j++)
            {
                double g = i == j ? 1 / 0.75 : 1;
                Assert.Equal(g * plain.Nngp[i, j], sym.Nngp[i, j], 1e-12);
                Assert.Equal(g * plain.Ntk[i, j], sym.Ntk[i, j], 1e-12);
                Assert.Equal(plain.Nngp[i, j], separate.Nngp[i, j], 1e-12);
                Assert.Equal(plain.Ntk[i, j], separate.Ntk[i, j], 1e-12);
            }
        for (int i = 0; i < X.Rows; i++) Assert.Equal(sym.Nngp[i, i], diag[i], 1e-12);
        EngineMatchesRecursion("dense(w=1.3,b=0.2) relu dropout(rate=0.4) dense(w=1.1) relu dense", diagonalToo: false);
    }

    [Fact]
    public void DropoutVariancesFeedTheNextActivation()
    {
        // The next layer's activation sees the variance q/(1−p) on the diagonal: the diagonal of the
        // symmetric kernel equals the recursion's variance Cov1.
        var arch = Architecture.Parse("dense(w=1.2) relu dropout(rate=0.5) dense(w=1.3,b=0.1) erf dense");
        var k = arch.ComputeKernels(X);
        for (int i = 0; i < X.Rows; i++) Assert.Equal(arch.Kernel(X.Row(i), X.Row(i)).Cov1, k.Nngp[i, i], 1e-12);
    }

    [Fact]
    public void DropoutSpecAndRefusals()
    {
        Assert.Equal("dense dropout(rate=0.1) dense", Architecture.Parse("dense dropout(rate=0.1) dense").ToString());
        Assert.Equal("dense relu dropout(rate=0.2) dense", Nn.Network(Nn.Dense(), Nn.Relu(), Nn.Dropout(0.2), Nn.Dense()).ToString());
        Assert.Contains("[0, 1)", Assert.Throws<FormatException>(() => Architecture.Parse("dense dropout(rate=1) dense")).Message);
        Assert.Contains("dropout(rate=0.1)", Assert.Throws<FormatException>(() => Architecture.Parse("dense dropout dense")).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(-0.1));
        var e = Assert.Throws<NonGaussianInputException>(() => Architecture.Parse("dense relu dropout(rate=0.1) relu dense"));
        Assert.Contains("'dropout(rate=0.1)' (layer 3)", e.Message);
        Assert.Contains("insert a dense layer", e.Message);
    }

    // ---- layer_norm ----

    [Theory]
    [InlineData("dense(w=1.3,b=0.2) layer_norm erf dense(w=1.1,b=0.1)")]
    [InlineData("dense(w=1.2,b=0.3) relu dense(w=1.4) layer_norm relu dense(w=1)")]
    public void LayerNormMatchesMonteCarlo(string spec) => MonteCarlo(spec, 0.05, without: "layer_norm", offBy: 0.1);

    [Fact]
    public void LayerNormDividesByTheRms()
    {
        var before = Architecture.Parse("dense(w=1.5,b=0.3) relu dense(w=1.2,b=0.1)").ComputeKernels(X);
        var after = Architecture.Parse("dense(w=1.5,b=0.3) relu dense(w=1.2,b=0.1) layer_norm").ComputeKernels(X, null, KernelOutputs.Both, tileSize: 2);
        for (int i = 0; i < X.Rows; i++)
            for (int j = 0; j < X.Rows; j++)
            {
                double r = Math.Sqrt(before.Nngp[i, i] * before.Nngp[j, j]);
                Assert.Equal(before.Nngp[i, j] / r, after.Nngp[i, j], 1e-12);
                Assert.Equal(before.Ntk[i, j] / r, after.Ntk[i, j], 1e-12);
            }
        EngineMatchesRecursion("dense(w=1.5,b=0.3) relu dense(w=1.2,b=0.1) layer_norm erf dense", diagonalToo: true);
        // A zero input through a bias-free dense layer has variance 0 and stays 0 (the finite layer's ε).
        var zero = new Matrix(2, 3); zero[1, 0] = 1;
        var kz = Architecture.Parse("dense layer_norm").ComputeKernels(zero);
        Assert.Equal(0, kz.Nngp[0, 0]); Assert.Equal(0, kz.Nngp[0, 1]); Assert.Equal(1, kz.Nngp[1, 1], 1e-12);
    }

    [Fact]
    public void LayerNormNeedsAGaussianInput()
    {
        Assert.Equal("dense layer_norm relu dense", Nn.Network(Nn.Dense(), Nn.LayerNorm(), Nn.Relu(), Nn.Dense()).ToString());
        var e = Assert.Throws<NonGaussianInputException>(() => Architecture.Parse("dense relu layer_norm dense"));
        Assert.Contains("'layer_norm' (layer 3)", e.Message);
        Assert.Contains("the output of an activation", e.Message);
        Assert.Contains("the raw input", Assert.Throws<NonGaussianInputException>(() => Architecture.Parse("layer_norm dense")).Message);
        Assert.Throws<NonGaussianInputException>(() => new LayerNorm().Apply(KernelState.FromInputs([1.0, 2], [0.5, 1])));
    }

    // ---- sum_pool, global_sum_pool ----

    private static readonly ImageShape Shape = new(6, 6, 2);
    private static readonly Matrix Images = RandomInputs(4, Shape.Features, 21);

    private static KernelResult ImageKernels(string spec, Matrix? x2 = null) => Architecture.Parse(spec).WithInputShape(Shape).ComputeKernels(Images, x2);

    [Theory]
    [InlineData("conv(size=3,w=1.41,b=0.1) relu {0}(size=2) flatten dense(w=1)", 16.0)]                      // |F| = 4 cells, |F|² = 16
    [InlineData("conv(size=3,w=1.41) relu {0}(size=3,stride=1,padding=same) flatten dense(w=1.2)", 81.0)]
    [InlineData("conv(size=3,w=1.3,dims=1) relu {0}(size=2,dims=1) flatten dense(w=1)", 4.0)]
    public void SumPoolIsAvgPoolTimesTheWindowSquared(string template, double factor)
    {
        var sum = ImageKernels(string.Format(template, "sum_pool"));
        var avg = ImageKernels(string.Format(template, "avg_pool"));
        var sep = ImageKernels(string.Format(template, "sum_pool"), Images.Clone());
        for (int k = 0; k < sum.Nngp.Data.Length; k++)
        {
            Assert.Equal(factor * avg.Nngp.Data[k], sum.Nngp.Data[k], 1e-9 * factor * Math.Abs(avg.Nngp.Data[k]) + 1e-12);
            Assert.Equal(factor * avg.Ntk.Data[k], sum.Ntk.Data[k], 1e-9 * factor * Math.Abs(avg.Ntk.Data[k]) + 1e-12);
            Assert.Equal(sum.Nngp.Data[k], sep.Nngp.Data[k], 1e-9 * Math.Abs(sum.Nngp.Data[k]));
        }
    }

    [Fact]
    public void GlobalSumPoolIsGlobalAvgPoolTimesPixelsSquared()
    {
        var sum = ImageKernels("conv(size=3,w=1.41,b=0.1) relu global_sum_pool dense(w=1)");
        var avg = ImageKernels("conv(size=3,w=1.41,b=0.1) relu global_avg_pool dense(w=1)");
        double factor = 36.0 * 36.0;
        for (int k = 0; k < sum.Nngp.Data.Length; k++)
        {
            Assert.Equal(factor * avg.Nngp.Data[k], sum.Nngp.Data[k], 1e-9 * Math.Abs(sum.Nngp.Data[k]));
            Assert.Equal(factor * avg.Ntk.Data[k], sum.Ntk.Data[k], 1e-9 * Math.Abs(sum.Ntk.Data[k]));
        }
    }

    [Fact]
    public void SumPoolsMatchMonteCarlo()
    {
        const string spec = "conv(size=3,w=1.41,b=0.1) relu sum_pool(size=2) conv(size=2,w=0.3) relu global_sum_pool dense(w=0.2)";
        var arch = Architecture.Parse(spec).WithInputShape(Shape);
        var exact = arch.ComputeKernels(Images);
        var mc = EmpiricalKernels.MonteCarlo(arch, Images, null, 64, 64, seed: 77);
        double en = RelativeFrobenius(mc.Nngp, exact.Nngp), et = RelativeFrobenius(mc.Ntk, exact.Ntk);
        Assert.True(en < 0.05, $"{spec}: NNGP relative Frobenius error {en:G3}");
        Assert.True(et < 0.05, $"{spec}: NTK relative Frobenius error {et:G3}");
    }

    [Fact]
    public void DropoutAfterTheImageReadoutScalesTheDiagonal()
    {
        const string spec = "conv(size=3,w=1.41) relu flatten dense(w=1.2) relu dropout(rate=0.5) dense(w=0.9)";
        var sym = ImageKernels(spec);
        var sep = ImageKernels(spec, Images.Clone());
        var plain = ImageKernels(spec.Replace("dropout(rate=0.5) ", ""));
        for (int i = 0; i < Images.Rows; i++)
            for (int j = 0; j < Images.Rows; j++)
            {
                Assert.Equal(plain.Nngp[i, j], sep.Nngp[i, j], 1e-9 * Math.Abs(plain.Nngp[i, j]));
                double g = i == j ? 2 : 1;
                Assert.Equal(g * plain.Nngp[i, j], sym.Nngp[i, j], 1e-9 * Math.Abs(sym.Nngp[i, j]));
                Assert.Equal(g * plain.Ntk[i, j], sym.Ntk[i, j], 1e-9 * Math.Abs(sym.Ntk[i, j]));
            }
        Assert.Contains("'dropout(rate=0.5)' cannot act on images", Assert.Throws<ArgumentException>(() => ImageKernels("conv(size=3) relu dropout(rate=0.5) flatten dense")).Message);
    }

    [Fact]
    public void SumPoolSpec()
    {
        Assert.Equal("conv(size=3,w=1) relu sum_pool(size=2,stride=1) global_sum_pool dense",
            Architecture.Parse("conv(size=3,w=1) relu sum_pool(size=2,stride=1) global_sum_pool dense").ToString());
        Assert.Equal("sum_pool(size=3,dims=1)", Nn.SumPool(3, dimensions: 1).ToString());
        Assert.Equal("global_sum_pool", Nn.GlobalSumPool().ToString());
        // Pooling an activation's output is no Gaussian pre-activation: an activation right after is refused.
        Assert.Throws<NonGaussianInputException>(() => Architecture.Parse("conv(size=3) relu sum_pool(size=2) relu flatten dense"));
    }

    // ---- product ----

    [Theory]
    [InlineData("product{dense(w=1.2,b=0.3) | dense(w=0.9) erf dense(w=1.1,b=0.1)} dense(w=1)")]
    [InlineData("dense(w=1.3,b=0.2) relu product{dense(w=1.1,b=0.2) | dense(w=1.2) | identity} dense(w=0.8,b=0.1)")]
    public void ProductMatchesMonteCarlo(string spec) => MonteCarlo(spec, 0.06);

    [Fact]
    public void ProductMultipliesTheBranchKernels()
    {
        const string a = "dense(w=1.2,b=0.3) relu dense(w=1.1)", b = "dense(w=0.9,b=0.2) erf dense(w=1.3,b=0.1)";
        var ka = Architecture.Parse(a).ComputeKernels(X);
        var kb = Architecture.Parse(b).ComputeKernels(X);
        var kp = Architecture.Parse($"product{{{a} | {b}}}").ComputeKernels(X, null, KernelOutputs.Both, tileSize: 2);
        for (int k = 0; k < kp.Nngp.Data.Length; k++)
        {
            Assert.Equal(ka.Nngp.Data[k] * kb.Nngp.Data[k], kp.Nngp.Data[k], 1e-12);
            Assert.Equal(ka.Ntk.Data[k] * kb.Nngp.Data[k] + ka.Nngp.Data[k] * kb.Ntk.Data[k], kp.Ntk.Data[k], 1e-12);
        }
        EngineMatchesRecursion($"dense(w=1.1) relu product{{{a} | {b} | dense}} dense(w=1.2)", diagonalToo: true);
    }

    [Fact]
    public void ProductSpecAndRefusals()
    {
        Assert.Equal("product{dense | dense erf dense} dense", Architecture.Parse("product{dense | dense erf dense} dense").ToString());
        Assert.Equal("product{dense | dense}", Nn.Product(Nn.Dense(), Nn.Dense()).ToString());
        var e = Assert.Throws<NonGaussianInputException>(() => Architecture.Parse("product{dense | dense} relu dense"));
        Assert.Contains("a product of Gaussians is not Gaussian", e.Message);
        Assert.Contains("independent branches", Assert.Throws<FormatException>(() => Architecture.Parse("dense product{identity | relu} dense")).Message);
        Assert.Contains("image layers", Assert.Throws<FormatException>(() => Architecture.Parse("conv product{conv | conv} flatten dense")).Message);
        // Activations inside the branches are still checked.
        Assert.Throws<NonGaussianInputException>(() => Architecture.Parse("product{relu dense | dense} dense"));
    }
}
