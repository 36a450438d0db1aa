using Tangent.Layers;

namespace Tangent.Tests.Layers;

public sealed class CriticalityTests
{
    [Theory]
    [InlineData(1.0, Phase.Ordered)]
    [InlineData(1.4142135623730951, Phase.Critical)]
    [InlineData(1.7, Phase.Chaotic)]
    public void ReluSusceptibilitiesAreHalfTheWeightVariance(double w, Phase phase)
    {
        var r = Criticality.Analyze(ABRelu.Relu(), w, 0);
        Assert.Equal(w * w / 2, r.ChiPerp, 1e-12);
        Assert.Equal(w * w / 2, r.ChiParallel, 1e-6);
        Assert.Equal(phase, r.Phase);
    }

    [Fact]
    public void CriticalWeightOfReluIsSqrt2AndOfErfIsSqrtPiOver2()
    {
        Assert.Equal(Math.Sqrt(2), Criticality.CriticalWeightStd(ABRelu.Relu())!.Value, 1e-9);
        Assert.Equal(Math.Sqrt(Math.PI) / 2, Criticality.CriticalWeightStd(new Erf())!.Value, 1e-6);
    }

    [Fact]
    public void ErfFixedPointSolvesTheVarianceMap()
    {
        var erf = new Erf();
        double w = 1.8, b = 0.3;
        var r = Criticality.Analyze(erf, w, b);
        Assert.True(r.Converged);
        Assert.Equal(r.FixedPoint, w * w * erf.Variance(r.FixedPoint) + b * b, 1e-12);
        Assert.Equal(w * w * erf.DerivativeVariance(r.FixedPoint), r.ChiPerp, 1e-12);
        // χ∥ = σw²·E[φ'² + φφ''] by quadrature (φ'' of erf: −2x·φ').
        var gh = new GaussHermite(80);
        double s = Math.Sqrt(r.FixedPoint);
        double e = gh.Expect(z => { double x = s * z, d = erf.Derivative(x); return d * d + erf.Phi(x) * (-2 * x * d); });
        Assert.Equal(w * w * e, r.ChiParallel, 1e-6);
        Assert.Equal(Phase.Chaotic, r.Phase);
    }

    [Fact]
    public void ErfWithSmallWeightsIsOrderedWithZeroFixedPoint()
    {
        var r = Criticality.Analyze(new Erf(), 0.5, 0);
        Assert.Equal(0, r.FixedPoint, 1e-10);
        Assert.Equal(Phase.Ordered, r.Phase);
        Assert.Equal(0.25 * 4 / Math.PI, r.ChiPerp, 1e-9);
    }
}
