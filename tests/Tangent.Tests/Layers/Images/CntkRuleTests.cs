using Tangent.Layers;
using Tangent.Numerics;
using static Tangent.Tests.Layers.LayerTestUtil;

namespace Tangent.Tests.Layers.Images;

/// <summary>The convolutional kernel engine against the plain reference (both layouts), hand cases and error paths.</summary>
public sealed class CntkRuleTests
{
    private static readonly ImageShape Shape = new(5, 4, 2);   // not square: catches H/W mix-ups
    private static readonly Matrix X1 = RandomInputs(3, Shape.Features, 5), X2 = RandomInputs(4, Shape.Features, 6);

    public static TheoryData<string> FlattenSpecs() => new()
    {
        "conv(size=3,w=1.41,b=0.1) relu conv(size=3,w=1.41) relu flatten dense(w=1)",
        "conv(size=3,w=1.2,b=0.3,padding=valid) erf flatten dense(w=1.1,b=0.2)",
        "conv(size=3,w=1.3,padding=circular) relu conv(size=2,w=1.5,b=0.1,stride=2) gelu flatten",
        "conv(size=2,w=1.4,stride=2,padding=valid) relu flatten dense(w=1.2) relu dense(w=1)",
        "conv(size=3,w=1.3,dims=1) relu conv(size=2,w=1.1,stride=2,dims=1,padding=circular) relu flatten dense",
        "conv(size=3,w=1.3,b=0.2) relu dense(w=1.5)",   // implied flatten before dense
    };

    public static TheoryData<string> PoolingSpecs() => new()
    {
        "conv(size=3,w=1.41,b=0.1) relu conv(size=3,w=1.41) relu global_avg_pool dense(w=1)",
        "conv(size=3,w=1.3,b=0.2) relu avg_pool(size=2) flatten dense(w=1)",
        "conv(size=3,w=1.3,padding=circular) erf avg_pool(size=2,stride=1,padding=same) conv(size=2,w=1.2) relu global_avg_pool",
        "conv(size=3,w=1.3,dims=1) relu avg_pool(size=2,dims=1) conv(size=1,w=1.2,dims=1) relu global_avg_pool dense(w=1,b=0.1)",
    };

    private static void AssertClose(Matrix actual, Matrix expected, double tol, string what)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        double e = RelativeFrobenius(actual, expected);
        Assert.True(e < tol, $"{what}: relative error {e:G3} ≥ {tol}");
    }

    [Theory]
    [MemberData(nameof(FlattenSpecs))]
    [MemberData(nameof(PoolingSpecs))]
    public void MatchesReference(string spec)
    {
        var arch = Architecture.Parse(spec).WithInputShape(Shape);
        var r = arch.ComputeKernels(X1, X2);
        var (n, t) = ReferenceCntk.Matrices(spec, Shape, X1, X2);
        AssertClose(r.Nngp, n, 1e-12, spec + " nngp");
        AssertClose(r.Ntk, t, 1e-12, spec + " ntk");
    }

    [Theory]
    [MemberData(nameof(FlattenSpecs))]
    public void DiagonalLayoutEqualsFullLayout(string spec)
    {
        var arch = Architecture.Parse(spec);
        var diag = new ConvolutionalKernel(arch, Shape);
        Assert.Equal(CovarianceLayout.Diagonal, diag.Layout);
        var full = new ConvolutionalKernel(arch, Shape, CovarianceLayout.Full);
        var a = diag.Compute(X1, X2); var b = full.Compute(X1, X2);
        AssertClose(a.Nngp, b.Nngp, 1e-13, "nngp"); AssertClose(a.Ntk, b.Ntk, 1e-13, "ntk");
    }

    [Theory]
    [MemberData(nameof(PoolingSpecs))]
    public void PoolingNeedsFullLayout(string spec)
    {
        Assert.Equal(CovarianceLayout.Full, new ConvolutionalKernel(Architecture.Parse(spec), Shape).Layout);
        Assert.Throws<ArgumentException>(() => new ConvolutionalKernel(Architecture.Parse(spec), Shape, CovarianceLayout.Diagonal));
    }

    [Fact]
    public void GlobalAvgPoolIsTheMeanOverAllPixelPairs()
    {
        // conv(size=1) with σb = 0 keeps K[p, p'] = σw²·x1[p]·x2[p']/C, so GAP must equal σw²·(mean_p x1[p])·(mean_p' x2[p'])/C summed over c.
        var shape = new ImageShape(3, 3, 2);
        var x1 = RandomInputs(2, shape.Features, 1); var x2 = RandomInputs(3, shape.Features, 2);
        var r = Architecture.Parse("conv(size=1,w=1.5) global_avg_pool").WithInputShape(shape).ComputeKernels(x1, x2);
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
            {
                double s = 0;
                for (int p = 0; p < 9; p++)
                    for (int q = 0; q < 9; q++)
                        for (int c = 0; c < 2; c++) s += x1[i, p * 2 + c] * x2[j, q * 2 + c];
                double expected = 2.25 * s / (81 * 2);
                Assert.Equal(expected, r.Nngp[i, j], 12);
                Assert.Equal(expected, r.Ntk[i, j], 12);   // one layer: Θ = K
            }
    }

    [Fact]
    public void OnePixelImagesAreDenseNetworks()
    {
        // On 1×1×C images a size-1 conv is a dense layer on the channels.
        var shape = new ImageShape(1, 1, 6);
        var x = RandomInputs(5, 6, 3);
        var conv = Architecture.Parse("conv(size=1,w=1.4,b=0.2) relu conv(size=1,w=1.3,b=0.1) erf flatten dense(w=1.1)").WithInputShape(shape).ComputeKernels(x);
        var dense = Architecture.Parse("dense(w=1.4,b=0.2) relu dense(w=1.3,b=0.1) erf dense(w=1.1)").ComputeKernels(x);
        AssertClose(conv.Nngp, dense.Nngp, 1e-13, "nngp"); AssertClose(conv.Ntk, dense.Ntk, 1e-13, "ntk");
    }

    [Fact]
    public void DenseNetworksOnImagesSeeFlatVectors()
    {
        var x = RandomInputs(4, Shape.Features, 8);
        const string Spec = "dense(w=1.4,b=0.1) relu dense(w=1)";
        var withShape = Architecture.Parse(Spec).WithInputShape(Shape).ComputeKernels(x);
        var plain = Architecture.Parse(Spec).ComputeKernels(x);
        Assert.Equal(0, withShape.Ntk.MaxAbsDifference(plain.Ntk));
        // ... and flatten first is the same network as on the flat vector.
        var flat = Architecture.Parse("flatten " + Spec).WithInputShape(Shape).ComputeKernels(x);
        AssertClose(flat.Ntk, plain.Ntk, 1e-13, "flatten dense");
    }

    [Fact]
    public void HandComputedValidConvolution()
    {
        // 1×3×1 images, conv(size=2,valid): two output pixels; K = w²/2·(x1[p]x2[p] + x1[p+1]x2[p+1]) averaged over p.
        var shape = new ImageShape(1, 3, 1);
        var x = new Matrix(2, 3, [1, 2, 3, -1, 0, 2]);
        var r = Architecture.Parse("conv(size=2,w=2,b=0.5,dims=1,padding=valid) flatten").WithInputShape(shape).ComputeKernels(x);
        // pixel 0: (1·-1 + 2·0)/2 = -0.5 → 4·-0.5 + 0.25 = -1.75; pixel 1: (2·0 + 3·2)/2 = 3 → 12.25. Mean 5.25.
        Assert.Equal(5.25, r.Nngp[0, 1], 12);
        Assert.Equal(5.25, r.Nngp[1, 0], 12);
        // x1 self: pixel 0: (1+4)/2 = 2.5 → 10.25; pixel 1: (4+9)/2 = 6.5 → 26.25. Mean 18.25.
        Assert.Equal(18.25, r.Nngp[0, 0], 12);
    }

    [Fact]
    public void SymmetricEqualsAsymmetricAndIsSymmetric()
    {
        var arch = Architecture.Parse("conv(size=3,w=1.4,b=0.1) relu global_avg_pool dense").WithInputShape(Shape);
        var x = RandomInputs(7, Shape.Features, 9);
        var s = arch.ComputeKernels(x);
        var a = arch.ComputeKernels(x, x.Clone());
        AssertClose(s.Nngp, a.Nngp, 1e-14, "nngp"); AssertClose(s.Ntk, a.Ntk, 1e-14, "ntk");
        for (int i = 0; i < 7; i++) for (int j = 0; j < 7; j++) Assert.Equal(s.Nngp[i, j], s.Nngp[j, i]);
    }

    [Fact]
    public void SmallMemoryBudgetStillGivesTheSameKernelAndTooSmallOneExplains()
    {
        var ck = new ConvolutionalKernel(Architecture.Parse("conv(size=3,w=1.4) relu global_avg_pool"), Shape);
        var x = RandomInputs(37, Shape.Features, 4);   // 37: no divisibility by any segment length
        var big = ck.Compute(x);
        long small = ck.MemoryNeeded(37, 37, 2, 2, Environment.ProcessorCount);
        var tiny = ck.Compute(x, memoryBudget: small);
        AssertClose(tiny.Nngp, big.Nngp, 1e-15, "nngp");
        var e = Assert.Throws<InsufficientMemoryException>(() => ck.Compute(x, memoryBudget: 1000));
        Assert.Contains("MiB", e.Message);
        Assert.Contains("budget", e.Message);
    }

    [Fact]
    public void ErrorsNameTheProblem()
    {
        var x = RandomInputs(2, 10, 1);
        var e1 = Assert.Throws<ArgumentException>(() => Architecture.Parse("conv relu flatten dense").WithInputShape(Shape).ComputeKernels(x));
        Assert.Contains("40 features", e1.Message);
        var e2 = Assert.Throws<InvalidOperationException>(() => Architecture.Parse("conv relu flatten dense").ComputeKernels(x));
        Assert.Contains("image shape", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => new ConvolutionalKernel(Architecture.Parse("conv flatten conv"), Shape));
        Assert.Contains("after the readout", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => new ConvolutionalKernel(Architecture.Parse("conv(size=7,padding=valid) flatten"), Shape));
        Assert.Contains("padding=same", e4.Message);
        Assert.Throws<FormatException>(() => Architecture.Parse("conv(size=3,padding=reflect)"));
    }

    // Activations fed a non-Gaussian input (docs/LAYERS.md, "Gaussian pre-activations").

    [Fact]
    public void ConsecutiveActivationsOnImagesAreComposed()
    {
        var a = Architecture.Parse("conv(size=3,w=1.3,b=0.2) relu relu flatten dense(w=1.1)").WithInputShape(Shape).ComputeKernels(X1, X2);
        var b = Architecture.Parse("conv(size=3,w=1.3,b=0.2) relu flatten dense(w=1.1)").WithInputShape(Shape).ComputeKernels(X1, X2);
        Assert.Equal(0, a.Nngp.MaxAbsDifference(b.Nngp));
        Assert.Equal(0, a.Ntk.MaxAbsDifference(b.Ntk));
        // A smooth pair by quadrature: on 1×1×C images a size-1 conv is a dense layer, so the image engine
        // must give the vector engine's kernel; and in the full layout (pooling) on a small image.
        var one = new ImageShape(1, 1, 6);
        var x = RandomInputs(3, 6, 3);
        var conv = Architecture.Parse("conv(size=1,w=1.3,b=0.2) erf sin(b=2) flatten dense(w=1.1)").WithInputShape(one).ComputeKernels(x);
        var dense = Architecture.Parse("dense(w=1.3,b=0.2) erf sin(b=2) dense(w=1.1)").ComputeKernels(x);
        AssertClose(conv.Nngp, dense.Nngp, 1e-13, "nngp"); AssertClose(conv.Ntk, dense.Ntk, 1e-13, "ntk");
        var small = new ImageShape(3, 2, 1);
        var c = Architecture.Parse("conv(size=3,w=1.3,b=0.2) erf sin(b=2) avg_pool(size=2,padding=same) flatten dense(w=1.1)").WithInputShape(small).ComputeKernels(RandomInputs(2, 6, 4));
        Assert.True(c.Nngp.AllFinite() && c.Ntk.AllFinite());
    }

    [Fact]
    public void AnActivationAfterFlattenActsPerPixel()
    {
        // Flatten lays pixels of different variances (borders see zero padding) side by side: erf goes
        // before it, per pixel, rather than on the pixel-averaged kernel as the reference reads the spec.
        const string Written = "conv(size=3,w=1.3,b=0.2) flatten erf dense(w=1.1)", Moved = "conv(size=3,w=1.3,b=0.2) erf flatten dense(w=1.1)";
        var a = Architecture.Parse(Written).WithInputShape(Shape).ComputeKernels(X1, X2);
        var (n, t) = ReferenceCntk.Matrices(Moved, Shape, X1, X2);
        AssertClose(a.Nngp, n, 1e-12, "nngp"); AssertClose(a.Ntk, t, 1e-12, "ntk");
        var (naive, _) = ReferenceCntk.Matrices(Written, Shape, X1, X2);
        Assert.True(RelativeFrobenius(naive, n) > 0.01, $"the pixel-averaged rule is only {RelativeFrobenius(naive, n):G3} off");
        // The finite twin follows the spec as written: flatten, then erf on the vector.
        var net = Architecture.Parse(Written).WithInputShape(Shape).Initialize(Shape.Features, 8, new Random(1));
        Assert.Equal(8, net.Forward(X1).Cols);
        Assert.Equal(Written, Architecture.Parse(Written).ToString());
    }

    [Fact]
    public void ActivationsOfPooledActivationsAreRefused()
    {
        var e = Assert.Throws<NonGaussianInputException>(() => Architecture.Parse("conv(size=3,w=1.3,dims=1) relu avg_pool(size=2,dims=1) relu global_avg_pool dense(w=1,b=0.1)"));
        Assert.Contains("'relu' (layer 4)", e.Message);
        Assert.Contains("'avg_pool(size=2,dims=1)' (layer 3) of the output of an activation", e.Message);
        Assert.Contains("insert a conv layer (e.g. conv(size=1,w=1)) before 'relu' (layer 4)", e.Message);
        Assert.Contains("insert a conv layer", Assert.Throws<NonGaussianInputException>(() => Architecture.Parse("conv relu avg_pool relu flatten dense")).Message);
        var first = Assert.Throws<NonGaussianInputException>(() => Architecture.Parse("relu conv flatten dense")).Message;
        Assert.Contains("start with a conv layer, e.g. 'conv(size=1,w=1) relu conv(size=3,w=1) flatten dense'", first);
        Assert.Contains("raw input", Assert.Throws<NonGaussianInputException>(() => Architecture.Parse("flatten relu dense")).Message);
    }

    [Fact]
    public void ComposedActivationsOnImagesRefuseVariancesTheyCannotIntegrate()
    {
        var big = X1.Clone();
        for (int k = 0; k < big.Data.Length; k++) big.Data[k] *= 3;
        var arch = Architecture.Parse("conv(size=3,w=2) erf(b=3) erf(b=3) flatten dense").WithInputShape(Shape);
        var e = Assert.Throws<NonGaussianInputException>(() => arch.ComputeKernels(big));
        Assert.Contains("(layer 3)", e.Message);
        Assert.Contains("insert a conv layer (e.g. conv(size=1,w=1)) before", e.Message);
    }

    [Theory]
    [InlineData("conv(size=3,w=1.41,b=0.1) relu conv(size=3,w=1.41) relu flatten dense(w=1)")]
    [InlineData("conv(size=5,w=2,stride=2,padding=valid,dims=1,channels=64) avg_pool(size=3,stride=1,padding=circular) global_avg_pool")]
    public void SpecRoundTrips(string spec)
    {
        var a = Architecture.Parse(spec);
        Assert.Equal(a.ToString(), Architecture.Parse(a.ToString()).ToString());
        Assert.Contains("conv(size=", a.ToString());
    }
}
