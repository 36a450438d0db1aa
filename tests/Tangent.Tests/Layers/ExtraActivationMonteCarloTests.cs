using Tangent.Layers;
using Tangent.Networks;
using Tangent.Numerics;
using static Tangent.Tests.Layers.LayerTestUtil;

namespace Tangent.Tests.Layers;

/// <summary>
/// The activations of Tangent issue 10 against Monte-Carlo averages of their finite-width twins (dense φ dense),
/// with the sizes and tolerances of <see cref="MonteCarloTests"/>.
/// </summary>
public sealed class ExtraActivationMonteCarloTests
{
    private const int Width = 256, Samples = 64;

    private static Matrix Inputs()
    {
        var x = RandomInputs(5, 3, 11);
        x.Row(1).Fill(0); x[1, 0] = 1.2; x[1, 2] = -0.4;   // a second input of a different norm
        return x;
    }

    public static TheoryData<string, double> Activations() => new()
    {
        { "rbf(gamma=0.5)", 0.04 }, { "gabor", 0.04 }, { "rectified_monomial(n=2)", 0.04 },
        // relu(x)³ is heavy-tailed (its NNGP is a sixth moment): a noisier Monte-Carlo average than hermite(n=3)'s 0.08.
        { "rectified_monomial(n=3)", 0.1 }, { "sigmoid_like", 0.04 },
        { "tanh", 0.04 }, { "sigmoid", 0.04 }, { "softplus", 0.04 }, { "silu", 0.04 }, { "swish", 0.04 },
        { "elu", 0.04 }, { "elu(alpha=0.5)", 0.04 }, { "selu", 0.04 }, { "mish", 0.04 },
    };

    private static void Check(string spec, KernelOutputs outputs, double tolerance)
    {
        var x = Inputs();
        var arch = Architecture.Parse(spec);
        var exact = arch.ComputeKernels(x, null, outputs);
        var mc = EmpiricalKernels.MonteCarlo(arch, x, null, Width, Samples, seed: 1234, outputs);
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
    public void ActivationBetweenDenseLayers(string act, double tolerance) =>
        Check($"dense(w=1.3,b=0.2) {act} dense(w=1.1,b=0.1)", KernelOutputs.Both, tolerance);

    /// <summary>The step (rectified_monomial(n=0)) has no NTK: NNGP only.</summary>
    [Fact]
    public void StepNngp() => Check("dense(w=1.3,b=0.2) rectified_monomial(n=0) dense(w=1.1,b=0.1)", KernelOutputs.Nngp, 0.04);

    /// <summary>Two smooth activations back to back go through the composed quadrature (tanh counts as smooth).</summary>
    [Fact]
    public void ComposedWithTanh() => Check("dense(w=1.3,b=0.2) tanh gabor dense(w=1.1,b=0.1)", KernelOutputs.Both, 0.04);
}
