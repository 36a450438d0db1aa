using Tangent.Layers;
using Tangent.Networks;
using Tangent.Numerics;
using static Tangent.Tests.Layers.LayerTestUtil;

namespace Tangent.Tests.Layers;

/// <summary>
/// Every layer's kernel rule against Monte-Carlo averages of its finite-width twin (docs/MATH.md §3), as
/// Neural Tangents' own tests do: relative Frobenius error within a few percent.
/// </summary>
public sealed class MonteCarloTests
{
    private const int Width = 256, Samples = 64;

    private static readonly Matrix X = MonteCarloInputs();


    public static TheoryData<string> Activations() => new()
    {
        "relu", "leaky_relu(alpha=0.2)", "abrelu(a=-0.4,b=1.3)", "abs", "erf", "erf(a=1.2,b=0.8,c=0.1)", "gelu",
        "sin(a=1,b=1.2,c=0.3)", "cos", "exp(a=0.8,b=0.4)", "gaussian(a=1.5,b=-0.5)", "hermite(n=3)", "monomial(n=2)",
        "polynomial(coef=0.1;1;0.3)", "identity",
    };

    /// <param name="spec">The architecture.</param>
    /// <param name="outputs">Which kernels to compare.</param>
    /// <param name="tolerance">Largest relative Frobenius error of the Monte-Carlo average against the kernel.</param>
    /// <param name="width">Network width.</param>
    /// <param name="samples">Networks averaged.</param>
    /// <param name="naiveOffBy">When given, the rules from before activations checked their input
    /// (<see cref="NaiveKernels"/>) must be at least this far from the Monte-Carlo average: the bias they
    /// had is visible at this sample size.</param>
    internal static void Check(string spec, KernelOutputs outputs, double tolerance, int width = Width, int samples = Samples, double? naiveOffBy = null)
    {
        var arch = Architecture.Parse(spec);
        var exact = arch.ComputeKernels(X, null, outputs);
        var mc = EmpiricalKernels.MonteCarlo(arch, X, null, width, samples, seed: 1234, outputs);
        if (outputs.HasFlag(KernelOutputs.Nngp))
        {
            double e = RelativeFrobenius(mc.Nngp, exact.Nngp);
            Assert.True(e < tolerance, $"{spec}: NNGP relative Frobenius error {e:G3} ≥ {tolerance}");
            if (naiveOffBy is double off)
            {
                double en = RelativeFrobenius(mc.Nngp, NaiveKernels(spec, X).Nngp);
                Assert.True(en > off, $"{spec}: the naive NNGP is only {en:G3} from Monte Carlo, not above {off}");
            }
        }
        if (outputs.HasFlag(KernelOutputs.Ntk))
        {
            double e = RelativeFrobenius(mc.Ntk, exact.Ntk);
            Assert.True(e < tolerance, $"{spec}: NTK relative Frobenius error {e:G3} ≥ {tolerance}");
            if (naiveOffBy is double off)
            {
                double en = RelativeFrobenius(mc.Ntk, NaiveKernels(spec, X).Ntk);
                Assert.True(en > off, $"{spec}: the naive NTK is only {en:G3} from Monte Carlo, not above {off}");
            }
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

    // Activations fed a non-Gaussian input (Tangent issue 9; docs/LAYERS.md, "Gaussian pre-activations"):
    // the rewritten rule within the Monte-Carlo error, the old rule (activation integrated as if its input
    // were Gaussian, concat averaged before the activation) far outside it.

    /// <summary>relu∘relu = relu: the old rule was off by 50 % (NNGP and NTK).</summary>
    [Fact]
    public void ConsecutiveRelusAreOneRelu() =>
        Check("dense(w=1.3,b=0.2) relu relu dense(w=1.1,b=0.1)", KernelOutputs.Both, 0.04, naiveOffBy: 0.3);

    /// <summary>Two smooth activations back to back: their composition's kernel by quadrature (the old
    /// rule was 10–60 % off).</summary>
    [Theory]
    [InlineData("dense(w=1.3,b=0.2) erf gelu dense(w=1.1,b=0.1)")]
    [InlineData("dense(w=1.3,b=0.2) gelu erf dense(w=1.1,b=0.1)")]
    [InlineData("dense(w=1.3,b=0.2) erf sin(b=2) dense(w=1.1,b=0.1)")]
    public void ComposedSmoothActivations(string spec) => Check(spec, KernelOutputs.Both, 0.04, naiveOffBy: 0.08);

    /// <summary>sign then relu is the step 1{x &gt; 0} (NNGP only).</summary>
    [Fact]
    public void SignThenReluIsAStep() =>
        Check("dense(w=1.3,b=0.2) sign relu dense(w=1.1,b=0.1)", KernelOutputs.Nngp, 0.04, naiveOffBy: 0.15);

    /// <summary>concat{…} then an activation: the channel groups have variances differing 16-fold and go
    /// through erf separately (the old rule averaged their kernels first: 20 % off).</summary>
    [Fact]
    public void ActivationAfterConcatActsPerGroup() =>
        Check("dense(w=1.2,b=0.1) concat{dense(w=0.5) | dense(w=2,b=0.5)} erf dense(w=1.1,b=0.1)", KernelOutputs.Both, 0.04, naiveOffBy: 0.12);
}
