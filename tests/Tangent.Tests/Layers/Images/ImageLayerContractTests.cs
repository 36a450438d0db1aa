using System.Text.RegularExpressions;
using Tangent.Engine;
using Tangent.Layers;
using Tangent.Numerics;
using static Tangent.Tests.Layers.LayerTestUtil;

namespace Tangent.Tests.Layers.Images;

/// <summary>
/// The image layer contract (docs/CONVOLUTION.md, "The layer contract"): the fused engine (self pass and
/// tile pass as layer members) against the per-pair reference recursion of <see cref="ImageKernelState"/>
/// for every image layer, both layouts, symmetric or not, several tile sizes; the one-pixel view of image
/// layers against the vector rules; the structure checks at architecture build.
/// </summary>
public sealed class ImageLayerContractTests
{
    private static readonly ImageShape Shape = new(5, 4, 2);   // not square: catches H/W mix-ups
    private static readonly Matrix X1 = RandomInputs(3, Shape.Features, 15), X2 = RandomInputs(5, Shape.Features, 16);

    public static TheoryData<string> DiagonalSpecs() => new()
    {
        "conv(size=3,w=1.41,b=0.1) relu conv(size=3,w=1.41) relu flatten dense(w=1)",
        "conv(size=3,w=1.2,b=0.3,padding=valid) erf flatten dense(w=1.1,b=0.2)",
        "conv(size=2,w=1.4,stride=2,padding=circular) gelu flatten",
        "conv(size=3,w=1.3,dims=1) relu conv(size=2,w=1.1,stride=2,dims=1,padding=valid) relu flatten dense",
        "conv_transpose(size=3,w=1.3,b=0.2,stride=2) relu conv(size=3,w=1.2,stride=2) relu flatten dense",
        "conv_transpose(size=2,w=1.2,stride=2,padding=same) erf flatten",
        "conv_transpose(size=3,w=1.1,dims=1) relu conv_transpose(size=1,w=1.3,b=0.1,stride=3,dims=1,padding=same) abs dense(w=1)",
    };

    public static TheoryData<string> FullSpecs() => new()
    {
        "conv(size=3,w=1.3,b=0.2) relu avg_pool(size=2) flatten dense(w=1)",
        "conv(size=3,w=1.3,padding=circular) erf sum_pool(size=2,stride=1,padding=same) conv(size=2,w=1.2) relu global_avg_pool",
        "conv_transpose(size=2,w=1.3,stride=2) relu avg_pool(size=2) conv(size=1,w=1.1) relu global_sum_pool dense(w=1,b=0.1)",
        "conv(size=3,w=1.3,dims=1) relu avg_pool(size=2,dims=1) conv(size=1,w=1.2,dims=1) relu global_avg_pool dense(w=1,b=0.1)",
    };

    /// <summary>Every entry of the engine's matrices against <see cref="ConvolutionalKernel.Kernel"/> of that pair.</summary>
    private static void AssertEngineEqualsReference(ConvolutionalKernel ck, Matrix x1, Matrix? x2, int tile, string what)
    {
        var r = ck.Compute(x1, x2, KernelOutputs.Both, new ComputeOptions { TileSize = tile });
        var y = x2 ?? x1;
        for (int i = 0; i < x1.Rows; i++)
            for (int j = 0; j < y.Rows; j++)
            {
                var s = ck.Kernel(x1.Row(i), y.Row(j));
                Assert.True(Math.Abs(r.Nngp[i, j] - s.Nngp) <= 1e-12 * Math.Abs(s.Nngp) + 1e-15, $"{what}, tile {tile}: nngp[{i},{j}] = {r.Nngp[i, j]:R}, reference {s.Nngp:R}");
                Assert.True(Math.Abs(r.Ntk[i, j] - s.Ntk) <= 1e-12 * Math.Abs(s.Ntk) + 1e-15, $"{what}, tile {tile}: ntk[{i},{j}] = {r.Ntk[i, j]:R}, reference {s.Ntk:R}");
            }
    }

    [Theory]
    [MemberData(nameof(DiagonalSpecs))]
    public void EngineEqualsTheReferenceInBothLayouts(string spec)
    {
        var arch = Architecture.Parse(spec);
        foreach (var layout in new[] { CovarianceLayout.Diagonal, CovarianceLayout.Full })
        {
            var ck = new ConvolutionalKernel(arch, Shape, layout);
            foreach (int tile in new[] { 1, 2, 3, 64 })
            {
                AssertEngineEqualsReference(ck, X1, X2, tile, $"{spec} ({layout})");
                AssertEngineEqualsReference(ck, X2, null, tile, $"{spec} ({layout}, symmetric)");
            }
        }
    }

    [Theory]
    [MemberData(nameof(FullSpecs))]
    public void PoolingEngineEqualsTheReference(string spec)
    {
        var ck = new ConvolutionalKernel(Architecture.Parse(spec), Shape);
        Assert.Equal(CovarianceLayout.Full, ck.Layout);
        foreach (int tile in new[] { 1, 3, 64 })
        {
            AssertEngineEqualsReference(ck, X1, X2, tile, spec);
            AssertEngineEqualsReference(ck, X2, null, tile, spec + " (symmetric)");
        }
    }

    [Theory]
    [MemberData(nameof(DiagonalSpecs))]
    public void TheReferenceIsTheSameInBothLayouts(string spec)
    {
        var arch = Architecture.Parse(spec);
        var diag = new ConvolutionalKernel(arch, Shape, CovarianceLayout.Diagonal);
        var full = new ConvolutionalKernel(arch, Shape, CovarianceLayout.Full);
        var a = diag.Kernel(X1.Row(0), X2.Row(1));
        var b = full.Kernel(X1.Row(0), X2.Row(1));
        Assert.Equal(b.Nngp, a.Nngp, 1e-13 * Math.Abs(b.Nngp));
        Assert.Equal(b.Ntk, a.Ntk, 1e-13 * Math.Abs(b.Ntk));
    }

    [Fact]
    public void ArchitectureKernelUsesTheImageReference()
    {
        const string Spec = "conv(size=3,w=1.3,b=0.2) relu avg_pool(size=2) flatten dense(w=1)";
        var arch = Architecture.Parse(Spec).WithInputShape(Shape);
        var s = arch.Kernel(X1.Row(2), X2.Row(0));
        var (n, t) = ReferenceCntk.Pair(ReferenceCntk.Flat(arch.Root), Shape, X1.Row(2).ToArray(), X2.Row(0).ToArray());
        Assert.Equal(n, s.Nngp, 1e-12 * Math.Abs(n));
        Assert.Equal(t, s.Ntk, 1e-12 * Math.Abs(t));
        Assert.Contains("image shape", Assert.Throws<InvalidOperationException>(() => Architecture.Parse(Spec).Kernel(X1.Row(0), X1.Row(1))).Message);
        Assert.Contains("image shape", Assert.Throws<InvalidOperationException>(() => Architecture.Parse(Spec).Initialize(Shape.Features, 8, new Random(1))).Message);
    }

    [Fact]
    public void PoolingRefusesADiagonalState()
    {
        var s = ImageKernelState.FromImages(X1.Row(0), X1.Row(1), Shape, CovarianceLayout.Diagonal);
        var e = Assert.Throws<ArgumentException>(() => new AvgPool(2).Apply(s));
        Assert.Contains("full covariance layout", e.Message);
        Assert.Throws<ArgumentException>(() => new GlobalSumPool().Apply(s));
    }

    // ---- conv_transpose geometry by hand ----

    [Fact]
    public void ConvTransposeSpreadsEachPixelOverTheStride()
    {
        // 1×3 signal, size 2, stride 2, valid: output 3·2 = 6 pixels, each reading exactly one input
        // pixel (o = 2i and 2i + 1 read i), so K'[o] = σw²/|F|·K[i(o)] + σb² with |F| = 2.
        var layer = new ConvTranspose(size: 2, weightStd: 1.5, biasStd: 0.5, stride: 2, dimensions: 1);
        var shape = new ImageShape(1, 3, 1);
        Assert.Equal(new ImageShape(1, 6, 1), layer.OutputShape(shape));
        double[] x1 = [1, 2, 3], x2 = [-1, 0.5, 2];
        var s = layer.Apply(ImageKernelState.FromImages(x1, x2, shape, CovarianceLayout.Diagonal));
        for (int o = 0; o < 6; o++)
        {
            int i = o / 2;
            Assert.Equal(2.25 / 2 * x1[i] * x2[i] + 0.25, s.Nngp[o], 1e-15);
            Assert.Equal(s.Nngp[o], s.Ntk[o], 1e-15);   // Θ' = K' + σw²/|F|·Θ and Θ = 0 at the input
            Assert.Equal(2.25 / 2 * x1[i] * x1[i] + 0.25, s.Cov1[o], 1e-15);
        }
    }

    [Theory]
    [InlineData(4, 3, 2, Padding.Valid, 9)]    // in·s + max(k − s, 0) = (in − 1)·s + k when k ≥ s
    [InlineData(4, 2, 3, Padding.Valid, 12)]   // k < s: in·s (JAX pads the output to the full stride)
    [InlineData(4, 3, 2, Padding.Same, 8)]     // in·s
    [InlineData(5, 4, 1, Padding.Same, 5)]
    public void ConvTransposeOutputSizesFollowJax(int n, int k, int s, Padding padding, int expected)
    {
        var shape = new ConvTranspose(k, stride: s, padding: padding).OutputShape(new ImageShape(n, n + 1, 3));
        Assert.Equal(expected, shape.Height);
        Assert.Equal(padding == Padding.Valid ? (n + 1) * s + Math.Max(k - s, 0) : (n + 1) * s, shape.Width);
    }

    [Fact]
    public void ConvTransposeWithStrideOneAndSamePaddingIsAConvolution()
    {
        // Stride 1, odd size, padding same: i(o, δ) = o + δ − (k − 1)/2, the taps of conv(padding=same) in reverse order.
        var a = Architecture.Parse("conv_transpose(size=3,w=1.3,b=0.2,padding=same) relu conv_transpose(size=3,w=1.2,padding=same) erf flatten dense").WithInputShape(Shape).ComputeKernels(X1, X2);
        var b = Architecture.Parse("conv(size=3,w=1.3,b=0.2) relu conv(size=3,w=1.2) erf flatten dense").WithInputShape(Shape).ComputeKernels(X1, X2);
        Assert.True(RelativeFrobenius(a.Nngp, b.Nngp) < 1e-13);
        Assert.True(RelativeFrobenius(a.Ntk, b.Ntk) < 1e-13);
    }

    [Fact]
    public void ConvTransposeSpecAndMessages()
    {
        Assert.Equal("conv_transpose(size=3,w=1.5,stride=2)", Architecture.ParseLayer("conv_transpose(size=3,w=1.5,stride=2)").ToString());
        Assert.Equal("conv_transpose(size=2,w=1,padding=same,dims=1)", Nn.ConvTranspose(2, padding: Padding.Same, dimensions: 1).ToString());
        Assert.IsType<ConvTranspose>(Architecture.ParseLayer("conv_transpose"));
        Assert.Throws<FormatException>(() => Architecture.ParseLayer("conv_transpose(padding=circular)"));
        Assert.Contains("circular", Assert.Throws<ArgumentException>(() => new ConvTranspose(padding: Padding.Circular)).Message);
        Assert.Contains("conv_transpose: stride", Assert.Throws<ArgumentOutOfRangeException>(() => new ConvTranspose(stride: 0)).Message);
    }

    // ---- the one-pixel view: a vector of width d is a 1×1×d image ----

    private static readonly KernelState VectorState = new(0.3, 0.7, 1.1, 0.9, Width: 5);

    /// <summary>Image layers with their vector twin: a dense layer, or (parameter-free layers) a scale of every quantity.</summary>
    public static TheoryData<string, string?, double> OnePixelTwins() => new()
    {
        { "conv(size=3,w=1.5,b=0.2)", "dense(w=0.5,b=0.2)", 0 },             // same padding: the centre tap of 9, σw²/9
        { "conv(size=2,w=1.2,dims=1)", "dense(w=0.848528137423857)", 0 },    // one real tap of 2: σw²/2
        { "conv(size=3,w=1.5,b=0.2,padding=circular)", "dense(w=1.5,b=0.2)", 0 },  // every tap wraps onto the pixel
        { "conv(size=1,w=1.3,b=0.1,padding=valid)", "dense(w=1.3,b=0.1)", 0 },
        { "conv_transpose(size=1,w=1.3,b=0.1)", "dense(w=1.3,b=0.1)", 0 },
        { "conv_transpose(size=3,w=1.5,padding=same)", "dense(w=0.5)", 0 },
        { "flatten", null, 1 },
        { "global_avg_pool", null, 1 },
        { "global_sum_pool", null, 1 },
        { "avg_pool(size=2,padding=same)", null, 1.0 / 16 },               // one real cell of 4, both indices: K/16
        { "sum_pool(size=2,padding=same)", null, 1 },
    };

    [Theory]
    [MemberData(nameof(OnePixelTwins))]
    public void OnePixelViewEqualsTheVectorRule(string image, string? vector, double scale)
    {
        var layer = Architecture.ParseLayer(image);
        var twin = vector is null ? null : Architecture.ParseLayer(vector);
        // The reference: Apply on a vector state.
        var a = layer.Apply(VectorState);
        var b = twin?.Apply(VectorState with { Width = null })
            ?? new KernelState(scale * VectorState.Nngp, scale * VectorState.Ntk, scale * VectorState.Cov1, scale * VectorState.Cov2);
        Assert.Equal(b.Nngp, a.Nngp, 1e-15);
        Assert.Equal(b.Ntk, a.Ntk, 1e-15);
        Assert.Equal(b.Cov1, a.Cov1, 1e-15);
        Assert.Equal(b.Cov2, a.Cov2, 1e-15);
        // The fused passes: Diagonal and Row.
        double[] cov = [0.5, 1.2, 2.0];
        var p1 = new DiagonalPass((double[])cov.Clone(), 5);
        var p2 = new DiagonalPass((double[])cov.Clone(), 5);
        layer.Diagonal(p1);
        if (twin is null) for (int i = 0; i < cov.Length; i++) p2.Cov[i] *= scale;
        else twin.Diagonal(p2);
        for (int i = 0; i < cov.Length; i++) Assert.Equal(p2.Cov[i], p1.Cov[i], 1e-15);
        var r1 = Row(layer, p1.Slots, 7);
        var r2 = Row(twin, p2.Slots, 7);
        for (int j = 0; j < 7; j++)
        {
            Assert.Equal(twin is null ? scale * r2.Nngp[j] : r2.Nngp[j], r1.Nngp[j], 1e-15);
            Assert.Equal(twin is null ? scale * r2.Ntk[j] : r2.Ntk[j], r1.Ntk[j], 1e-15);
        }
    }

    /// <summary>A row segment through <paramref name="layer"/> (null: left as it is).</summary>
    private static RowPass Row(Layer? layer, IReadOnlyList<DiagonalSlot> slots, int len)
    {
        var pass = new RowPass(slots, slots, len, withNtk: true) { I = 0, J0 = 0, Len = len, Slot = 0 };
        for (int j = 0; j < len; j++) { pass.Nngp[j] = 0.1 * j - 0.2; pass.Ntk[j] = 0.3 + 0.05 * j; }
        layer?.Row(pass);
        return pass;
    }

    [Fact]
    public void OnePixelCntkEqualsTheVectorRecursion()
    {
        // A CNN on 1×1×d images, the image layers' vector view (Serial.Apply) and the dense twin agree.
        const string Cnn = "conv(size=3,w=1.5,b=0.2) relu conv_transpose(size=1,w=1.2) erf global_avg_pool dense(w=0.9)";
        const string Dense = "dense(w=0.5,b=0.2) relu dense(w=1.2) erf dense(w=0.9)";
        var one = new ImageShape(1, 1, 6);
        var x = RandomInputs(4, 6, 9);
        var cntk = Architecture.Parse(Cnn).WithInputShape(one).ComputeKernels(x);
        var dense = Architecture.Parse(Dense).ComputeKernels(x);
        Assert.True(RelativeFrobenius(cntk.Nngp, dense.Nngp) < 1e-13);
        Assert.True(RelativeFrobenius(cntk.Ntk, dense.Ntk) < 1e-13);
        var root = Architecture.ParseLayer(Cnn);
        for (int i = 0; i < x.Rows; i++)
            for (int j = 0; j < x.Rows; j++)
            {
                var s = root.Apply(KernelState.FromInputs(x.Row(i), x.Row(j)));
                Assert.Equal(dense.Nngp[i, j], s.Nngp, 1e-13 * Math.Abs(s.Nngp));
                Assert.Equal(dense.Ntk[i, j], s.Ntk, 1e-13 * Math.Abs(s.Ntk));
            }
    }

    [Fact]
    public void OnePixelFiniteTwinIsTheCentreTap()
    {
        // conv(size=3) on a vector: the finite conv on one pixel uses the centre tap only, scaled by σw/√(9·d):
        // its empirical NNGP over many output channels approaches σw²/9·x·x'/d + σb².
        var layer = new Conv(3, 1.5, 0.2);
        var x = RandomInputs(3, 4, 2);
        var net = layer.Initialize(4, 20000, new Random(5));
        Assert.Equal(20000, net.OutputWidth);
        var y = net.Forward(x);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            {
                double emp = 0;
                for (int c = 0; c < 20000; c++) emp += y[i, c] * y[j, c];
                emp /= 20000;
                double exact = layer.Apply(KernelState.FromInputs(x.Row(i), x.Row(j))).Nngp;
                Assert.True(Math.Abs(emp - exact) < 0.05 * Math.Max(1, Math.Abs(exact)), $"[{i},{j}] empirical {emp:G4}, rule {exact:G4}");
            }
    }

    [Fact]
    public void LayersThatDoNotMapOnePixelToOneAreRefusedOnVectors()
    {
        var valid = Assert.Throws<InvalidOperationException>(() => new AvgPool(2).Apply(VectorState));
        Assert.Contains("'avg_pool(size=2)' cannot act on a vector", valid.Message);
        Assert.Contains("padding=same", valid.Message);
        var up = Assert.Throws<InvalidOperationException>(() => new ConvTranspose(2, stride: 2, padding: Padding.Same).Initialize(5, 8, new Random(1)));
        Assert.Contains("into a 2x2 image", up.Message);
        Assert.Throws<InvalidOperationException>(() => new Conv(3, padding: Padding.Valid).Diagonal(new DiagonalPass([1.0], 3)));
    }

    // ---- structure: vector layers in the image part are refused when the architecture is built ----

    [Theory]
    [InlineData("conv(size=3) relu dropout(rate=0.5) flatten dense", "'dropout(rate=0.5)' cannot act on images")]
    [InlineData("conv(size=3) layer_norm relu flatten dense", "'layer_norm' cannot act on images")]
    [InlineData("conv(size=3) relu product{dense|dense} flatten", "cannot act on images")]
    [InlineData("dense conv(size=3) relu flatten", "the first layer on images must be conv")]
    [InlineData("conv(size=3) relu flatten conv(size=3)", "after the readout")]
    public void VectorLayersInTheImagePartAreRefusedAtBuild(string spec, string message)
    {
        var e = Assert.ThrowsAny<Exception>(() => Architecture.Parse(spec));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void TheEngineNeverAsksForAConcreteLayerType()
    {
        // The rules are the layers' own: ConvolutionalKernel may switch on the combinators (Serial, Repeat,
        // ParallelBranches: structure) and test for the ImageLayer base, never for a concrete layer.
        string path = "";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null && path.Length == 0; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "src", "Tangent", "Layers", "Images", "ConvolutionalKernel.cs");
            if (File.Exists(candidate)) path = candidate;
        }
        Assert.True(path.Length > 0, "src/Tangent/Layers/Images/ConvolutionalKernel.cs not found above the test binaries");
        string code = string.Join("\n", File.ReadAllLines(path).Select(l => Regex.Replace(l, "//.*$", "")));
        const string Concrete = "Conv|ConvTranspose|AvgPool|SumPool|WindowPool|Flatten|GlobalAvgPool|GlobalSumPool|Activation|Identity|Dense|Dropout|LayerNorm|ProductFanIn";
        var hits = Regex.Matches(code, $@"\b(is|case|as)\s+(not\s+)?({Concrete})\b|\b({Concrete})\s+\w*\s*=>|\bor\s+({Concrete})\b").Select(m => m.Value).ToList();
        Assert.True(hits.Count == 0, "ConvolutionalKernel asks for concrete layer types: " + string.Join(", ", hits));
    }
}
