using Tangent.Layers;
using Tangent.Networks;
using Tangent.Numerics;
using static Tangent.Tests.Layers.LayerTestUtil;

namespace Tangent.Tests.Layers;

/// <summary>
/// Every layer's kernel rule against Monte-Carlo averages of its finite-width twin (MATH.md §3), as
/// Neural Tangents' own tests do: relative Frobenius error within a few percent.
/// </summary>
public sealed class MonteCarloTests
{
    private const int Width = 256, Samples = 64;

    private static readonly Matrix X = Inputs();

    private static Matrix Inputs()
    {
        var x = RandomInputs(5, 3, 11);
        x.Row(1).Fill(0); x[1, 0] = 1.2; x[1, 2] = -0.4;   // a second input of a different norm
        return x;
    }

    public static TheoryData<string> Activations() => new()
    {
        "relu", "leaky_relu(alpha=0.2)", "abrelu(a=-0.4,b=1.3)", "abs", "erf", "erf(a=1.2,b=0.8,c=0.1)", "gelu",
        "sin(a=1,b=1.2,c=0.3)", "cos", "exp(a=0.8,b=0.4)", "gaussian(a=1.5,b=-0.5)", "hermite(n=3)", "monomial(n=2)",
        "polynomial(coef=0.1;1;0.3)", "identity",
    };

    private static void Check(string spec, KernelOutputs outputs, double tolerance, int width = Width, int samples = Samples)
    {
        var arch = Architecture.Parse(spec);
        var exact = arch.ComputeKernels(X, null, outputs);
        var mc = EmpiricalKernels.MonteCarlo(arch, X, null, width, samples, seed: 1234, outputs);
        if (outputs.HasFlag(KernelOutputs.Nngp))
        {
            double e = RelativeFrobenius(mc.Nngp!, exact.Nngp!);
            Assert.True(e < tolerance, $"{spec}: NNGP relative Frobenius error {e:G3} ≥ {tolerance}");
        }
        if (outputs.HasFlag(KernelOutputs.Ntk))
        {
            double e = RelativeFrobenius(mc.Ntk!, exact.Ntk!);
            Assert.True(e < tolerance, $"{spec}: NTK relative Frobenius error {e:G3} ≥ {tolerance}");
        }
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void ActivationBetweenDenseLayers(string act) =>
        // Polynomials of degree ≥ 3 have heavy-tailed outputs, hence a noisier Monte-Carlo average.
        Check($"dense(w=1.3,b=0.2) {act} dense(w=1.1,b=0.1)", KernelOutputs.Both, act.StartsWith("hermite") ? 0.08 : 0.04);

    [Fact]
    public void GaussianDrawsHaveTheRightMoments()
    {
        var x = new double[200_001];
        Dense.FillGaussian(x, 1.5, new Random(3));
        double mean = x.Average(), var = x.Select(v => (v - mean) * (v - mean)).Average();
        double kurt = x.Select(v => Math.Pow(v - mean, 4)).Average() / (var * var);
        Assert.InRange(mean, -0.015, 0.015);
        Assert.InRange(var, 2.25 * 0.98, 2.25 * 1.02);
        Assert.InRange(kurt, 2.9, 3.1);
    }

    [Fact]
    public void SignNngp() => Check("dense(w=1.3,b=0.2) sign dense(w=1.1,b=0.1)", KernelOutputs.Nngp, 0.04);

    [Fact]
    public void DeeperReluNetwork() => Check("dense(w=1.5,b=0.1) relu dense(w=1.5,b=0.1) erf dense(w=1)", KernelOutputs.Both, 0.05);

    [Fact]
    public void ParallelFanInSum() => Check("dense(w=1.2,b=0.1) parallel{dense(w=1.1) relu dense(w=1.3,b=0.1) | identity | erf dense(w=0.8)} dense(w=0.9,b=0.2)", KernelOutputs.Both, 0.05);

    [Fact]
    public void ParallelFanInConcat() => Check("dense(w=1.2,b=0.1) concat{relu dense(w=1.3) | gelu} dense(w=1.1,b=0.1)", KernelOutputs.Both, 0.05);

    [Fact]
    public void Repeat() => Check("dense(w=1.2) repeat(2){relu dense(w=1.4,b=0.1)}", KernelOutputs.Both, 0.05);

    [Fact]
    public void StandardParameterization() =>
        Check("dense(w=1.2,b=0.3,param=standard,width=256) relu dense(w=1.1,b=0.2,param=standard,width=256) erf dense(w=0.9,b=0.1,param=standard,width=256)",
            KernelOutputs.Both, 0.05, width: 256);

    /// <summary>At the sizes the issue asks for (width ≥ 1024, hundreds of networks) the agreement is
    /// tighter: a deep ReLU and an erf network to within 2.5 %.</summary>
    [Theory]
    [InlineData("dense(w=1.41,b=0.1) relu dense(w=1.41,b=0.1) relu dense(w=1)")]
    [InlineData("dense(w=1.5,b=0.05) erf dense(w=1.5) gelu dense(w=1)")]
    public void WideNetworksAgreeClosely(string spec) => Check(spec, KernelOutputs.Both, 0.025, width: 1024, samples: 256);
}
