using Tangent.Layers;

namespace Tangent.Tests.Layers;

/// <summary>
/// The activations of Tangent issue 10 against Monte-Carlo averages of their finite-width twins (dense φ dense),
/// with the sizes and tolerances of <see cref="MonteCarloTests"/>.
/// </summary>
public sealed class ExtraActivationMonteCarloTests
{
    public static TheoryData<string, double> Activations() => new()
    {
        { "rbf(gamma=0.5)", 0.04 }, { "gabor", 0.04 }, { "rectified_monomial(n=2)", 0.04 },
        // relu(x)³ is heavy-tailed (its NNGP is a sixth moment): a noisier Monte-Carlo average than hermite(n=3)'s 0.08.
        { "rectified_monomial(n=3)", 0.1 }, { "sigmoid_like", 0.04 },
        { "tanh", 0.04 }, { "sigmoid", 0.04 }, { "softplus", 0.04 }, { "silu", 0.04 }, { "swish", 0.04 },
        { "elu", 0.04 }, { "elu(alpha=0.5)", 0.04 }, { "selu", 0.04 }, { "mish", 0.04 },
    };

    /// <summary>The check of <see cref="MonteCarloTests"/> (same inputs, width, samples and seed).</summary>
    private static void Check(string spec, KernelOutputs outputs, double tolerance) => MonteCarloTests.Check(spec, outputs, tolerance);

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
