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

    [Theory]
    [InlineData("relu", 2.0)]
    [InlineData("abs", 1.0)]
    [InlineData("identity", 1.0)]
    [InlineData("leaky_relu(alpha=0.2)", 1 / 0.52)]
    [InlineData("abrelu(a=-0.3,b=1.4)", 2 / (0.09 + 1.96))]
    public void HomogeneousActivationsHaveTheExactCriticalWeightAndAMarginalLine(string spec, double w2)
    {
        var phi = (Activation)Architecture.ParseLayer(spec);
        var s = Criticality.FindCriticalWeightStd(phi);
        Assert.True(s.Exact);
        Assert.Equal(Math.Sqrt(w2), s.WeightStd!.Value, 1e-15);
        var r = Criticality.Analyze(phi, s.WeightStd.Value, 0);
        Assert.True(r.Marginal);                       // every q is a fixed point: not 0 by a rounding drift
        Assert.Equal(1, r.FixedPoint);
        Assert.Equal(Phase.Critical, r.Phase);
        // χ⊥ does not depend on q*, so the same σw is critical with a bias too (the variance then diverges).
        Assert.Equal(s.WeightStd, Criticality.FindCriticalWeightStd(phi, 0.3).WeightStd);
        var biased = Criticality.Analyze(phi, s.WeightStd.Value, 0.3);
        Assert.False(biased.Marginal);
        Assert.Equal(Phase.Critical, biased.Phase);
    }

    [Fact]
    public void ReluJustBelowTheCriticalWeightDecaysToZeroAndJustAboveDiverges()
    {
        Assert.Equal(0, Criticality.Analyze(ABRelu.Relu(), 1.4, 0).FixedPoint);
        Assert.Equal(double.PositiveInfinity, Criticality.Analyze(ABRelu.Relu(), 1.43, 0).FixedPoint);
    }

    [Fact]
    public void GeluAtZeroBiasHasNoCriticalWeightChiPerpJumpsAcrossOne()
    {
        var s = Criticality.FindCriticalWeightStd(new Gelu());
        Assert.Null(s.WeightStd);
        Assert.Null(Criticality.CriticalWeightStd(new Gelu()));
        Assert.Equal(1.5335304, s.JumpAt!.Value, 1e-6);
        // Below: q* = 0 and χ⊥ = σw²·φ'(0)² = σw²/4; above: q* = ∞ and χ⊥ → σw²/2.
        double w = s.JumpAt.Value;
        Assert.Equal(0, s.Below!.FixedPoint);
        Assert.Equal(w * w / 4, s.Below.ChiPerp, 1e-6);
        Assert.Equal(double.PositiveInfinity, s.Above!.FixedPoint);
        Assert.Equal(w * w / 2, s.Above.ChiPerp, 1e-6);
        // The old answer, 1.5335…, is not critical: χ⊥ there is far from 1.
        Assert.NotEqual(Phase.Critical, Criticality.Analyze(new Gelu(), w, 0).Phase);
    }

    public static TheoryData<string, double> Activations() => new()
    {
        { "erf", 0 }, { "erf", 0.3 }, { "erf(a=1.5,b=0.7,c=0.2)", 0 }, { "gelu", 0 }, { "gelu", 0.5 }, { "sin", 0 }, { "sin(b=2)", 0.2 },
        { "cos", 0.1 }, { "exp(b=0.5)", 0 }, { "gaussian", 0 }, { "hermite(n=2)", 0 }, { "monomial(n=3)", 0 }, { "polynomial(coef=0.1;1;0.2)", 0.1 },
    };

    [Theory]
    [MemberData(nameof(Activations))]
    public void AReportedCriticalWeightHasChiPerpOneAndAJumpStraddlesOne(string spec, double b)
    {
        var phi = (Activation)Architecture.ParseLayer(spec);
        var s = Criticality.FindCriticalWeightStd(phi, b);
        if (s.WeightStd is { } w)
        {
            Assert.Null(s.JumpAt);
            Assert.Equal(1, Criticality.Analyze(phi, w, b).ChiPerp, 1e-6);
        }
        else if (s.JumpAt is { } j)
        {
            Assert.True(s.Below!.ChiPerp < 1 && s.Above!.ChiPerp > 1, $"{spec}: jump at {j} from {s.Below.ChiPerp} to {s.Above!.ChiPerp}");
            Assert.True(Math.Abs(Criticality.Analyze(phi, j, b).ChiPerp - 1) > 1e-6);
        }
        else
        {
            Assert.True(s.Below is not null && s.Above is not null);
            Assert.True((s.Below.ChiPerp < 1) == (s.Above.ChiPerp < 1), "no crossing reported although χ⊥ changes side");
        }
    }

    [Fact]
    public void CubeHasNoCriticalWeightChiPerpJumpsFromZeroToInfinity()
    {
        var s = Criticality.FindCriticalWeightStd(new Monomial(3));
        Assert.Null(s.WeightStd);
        Assert.Equal(0, s.Below!.ChiPerp);
        Assert.Equal(double.PositiveInfinity, s.Above!.ChiPerp);
    }

    [Theory]
    [InlineData(double.NaN, 0)]
    [InlineData(double.PositiveInfinity, 0)]
    [InlineData(-1, 0)]
    [InlineData(1, double.NaN)]
    [InlineData(1, -0.5)]
    public void NonFiniteOrNegativeStdsAreRejected(double w, double b)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Criticality.Analyze(new Erf(), w, b));
    }
}
