using Tangent.Layers;
using Tangent.Networks;
using Tangent.Numerics;
using static Tangent.Tests.Layers.LayerTestUtil;

namespace Tangent.Tests.Layers.Images;

/// <summary>
/// Every image layer against Monte-Carlo averages of finite-width CNNs (256 channels, 6×6 images), as
/// Neural Tangents' stax tests do: empirical NNGP = mean over output units of f(x)·f(x'), empirical NTK
/// = J(x)·J(x')ᵀ of one output, both averaged over independently initialised networks.
/// </summary>
public sealed class CntkMonteCarloTests
{
    private const int Channels = 256;
    private static readonly ImageShape Shape = new(6, 6, 2);
    private static readonly Matrix X = RandomInputs(4, Shape.Features, 21);

    private static void Check(string spec, int samples, double nngpTol, double ntkTol, int? nngpSamples = null, ImageShape? shape = null)
    {
        var arch = Architecture.Parse(spec).WithInputShape(shape ?? Shape);
        var x = shape is { } s ? RandomInputs(4, s.Features, 21) : X;
        var exact = arch.ComputeKernels(x);
        var mc = EmpiricalKernels.MonteCarlo(arch, x, null, Channels, samples, seed: 77);
        var mcNngp = nngpSamples is int m ? EmpiricalKernels.MonteCarlo(arch, x, null, Channels, m, seed: 99, KernelOutputs.Nngp).Nngp : mc.Nngp;
        double en = RelativeFrobenius(mcNngp, exact.Nngp), et = RelativeFrobenius(mc.Ntk, exact.Ntk);
        Assert.True(en < nngpTol, $"{spec}: NNGP relative Frobenius error {en:G3} ≥ {nngpTol}");
        Assert.True(et < ntkTol, $"{spec}: NTK relative Frobenius error {et:G3} ≥ {ntkTol}");
    }

    [Theory]
    [InlineData("conv(size=3,w=1.41,b=0.1) relu flatten dense(w=1)")]
    [InlineData("conv(size=3,w=1.3,b=0.2,padding=valid) erf flatten dense(w=1.2)")]
    [InlineData("conv(size=2,w=1.4,stride=2,padding=circular) relu flatten dense(w=1)")]
    [InlineData("conv(size=3,w=1.41,b=0.1) relu global_avg_pool dense(w=1)")]
    [InlineData("conv(size=3,w=1.41) relu avg_pool(size=2) flatten dense(w=1)")]
    [InlineData("conv(size=3,w=1.3,dims=1) relu flatten dense(w=1)")]
    [InlineData("conv(size=3,w=1.41,b=0.1) relu relu flatten dense(w=1)")]        // relu∘relu = relu (docs/LAYERS.md, "Gaussian pre-activations")
    [InlineData("conv(size=3,w=1.3,b=0.2) flatten erf dense(w=1.2)")]             // erf per pixel, before the flatten
    public void OneConvLayer(string spec) => Check(spec, 16, 0.05, 0.08);

    // conv_transpose (Neural Tangents stax.ConvTranspose): the finite twin scales by σw/√(|F|·C) as the
    // kernel rule divides σw² by |F|, although an output pixel meets only ~|F|/s² input pixels.
    // Upsampling multiplies the flattened width (the dense readout's cost): small inputs (3×3×2, 1×4×2).
    [Theory]
    [InlineData("conv_transpose(size=3,w=1.41,b=0.1,stride=2) relu flatten dense(w=1)", 3, 3)]
    [InlineData("conv_transpose(size=2,w=1.3,stride=2,padding=same) erf global_avg_pool dense(w=1.2)", 6, 6)]
    [InlineData("conv_transpose(size=3,w=1.3,b=0.2,stride=3,dims=1) relu flatten dense(w=1)", 1, 4)]
    public void ConvTransposeLayer(string spec, int height, int width) => Check(spec, 16, 0.05, 0.08, shape: new ImageShape(height, width, 2));

    // Two 256-channel conv layers cost ~0.3 GFlop per network: the NTK averages 6 networks (forward and
    // backward), the NNGP 16 (forward only).
    [Fact]
    public void TwoConvLayers() => Check("conv(size=3,w=1.41,b=0.1) relu conv(size=3,w=1.41) relu flatten dense(w=1)", 6, 0.05, 0.1, nngpSamples: 16);
}
