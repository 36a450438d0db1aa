using Tangent.Layers;

namespace Tangent.Tests.Layers;

public sealed class ClosedFormTests
{
    public static TheoryData<string> Smooth() => new()
    {
        "erf", "erf(a=1.5,b=0.7,c=0.2)", "gelu", "sin", "sin(a=1.3,b=2,c=0.4)", "cos(a=0.8,b=1.5,c=0.3)",
        "exp(a=0.9,b=0.6)", "gaussian", "gaussian(a=1.2,b=-0.4)", "hermite(n=3)", "monomial(n=4)", "polynomial(coef=0.5;-1;0.25;0.1)", "identity",
    };

    private static Activation Act(string spec) => (Activation)Architecture.ParseLayer(spec);

    private static readonly (double Q11, double Q12, double Q22)[] Covariances =
    [
        (1, 0.3, 1), (0.5, -0.2, 1.7), (2.0, 1.9, 1.9), (0.7, 0.7, 0.7), (1.2, -1.2, 1.2), (0.3, 0, 2.5),
    ];

    [Theory]
    [MemberData(nameof(Smooth))]
    public void ClosedFormMatchesQuadrature(string spec)
    {
        var a = Act(spec);
        var q = new NumericalActivation(spec, a.Phi, a.Derivative, degree: 120);
        foreach (var (q11, q12, q22) in Covariances)
        {
            Assert.Equal(q.Nngp(q11, q12, q22), a.Nngp(q11, q12, q22), 1e-8);
            Assert.Equal(q.NtkFactor(q11, q12, q22), a.NtkFactor(q11, q12, q22), 1e-8);
            Assert.Equal(q.Variance(q11), a.Variance(q11), 1e-8);
            Assert.Equal(q.DerivativeVariance(q22), a.DerivativeVariance(q22), 1e-8);
        }
    }

    [Theory]
    [MemberData(nameof(Smooth))]
    [InlineData("relu")]
    [InlineData("abs")]
    [InlineData("leaky_relu(alpha=0.2)")]
    [InlineData("abrelu(a=-0.3,b=1.4)")]
    public void NtkFactorIsTheDerivativeOfTheNngpInQ12PricesTheorem(string spec)
    {
        var a = Act(spec);
        foreach (var (q11, q12raw, q22) in Covariances)
        {
            double q12 = q12raw * 0.8; // stay inside the open correlation interval
            double h = 1e-5;
            double numeric = (a.Nngp(q11, q12 + h, q22) - a.Nngp(q11, q12 - h, q22)) / (2 * h);
            Assert.Equal(numeric, a.NtkFactor(q11, q12, q22), 1e-6 * Math.Max(1, Math.Abs(numeric)));
        }
    }

    [Theory]
    [InlineData("relu")]
    [InlineData("abs")]
    [InlineData("leaky_relu(alpha=0.1)")]
    public void KinkedActivationsAgreeWithQuadratureLoosely(string spec)
    {
        var a = Act(spec);
        var q = new NumericalActivation(spec, a.Phi, a.Derivative, degree: 200);
        foreach (var (q11, q12, q22) in Covariances[..3])
            Assert.Equal(q.Nngp(q11, q12, q22), a.Nngp(q11, q12, q22), 3e-3);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public void HermiteDualIsRhoToTheNOnTheUnitSphere(int n)
    {
        var h = new Hermite(n);
        foreach (double rho in new[] { -0.9, -0.3, 0, 0.4, 1 })
        {
            Assert.Equal(Math.Pow(rho, n), h.Nngp(1, rho, 1), 1e-12);
            // Derivative: h_n' = √n·h_{n-1}, so E[h_n'h_n'] = n·ρ^{n-1}.
            if (n > 0) Assert.Equal(n * Math.Pow(rho, n - 1), h.NtkFactor(1, rho, 1), 1e-12);
        }
    }

    [Fact]
    public void ErfMatchesMathContractFormula()
    {
        var e = new Erf();
        double q11 = 0.8, q12 = 0.3, q22 = 1.4;
        double expected = 2 / Math.PI * Math.Asin(2 * q12 / Math.Sqrt((1 + 2 * q11) * (1 + 2 * q22)));
        Assert.Equal(expected, e.Nngp(q11, q12, q22), 1e-15);
        Assert.Equal(4 / Math.PI / Math.Sqrt((1 + 2 * q11) * (1 + 2 * q22) - 4 * q12 * q12), e.NtkFactor(q11, q12, q22), 1e-15);
    }

    [Fact]
    public void ErfFunctionMatchesMathNet()
    {
        foreach (double x in new[] { -7, -3.2, -1, -0.1, 0, 1e-8, 0.5, 1.7, 2.9, 4.5, 5.99 })
            Assert.Equal(MathNet.Numerics.SpecialFunctions.Erf(x), SpecialFunctions.Erf(x), 1e-15);
    }

    [Fact]
    public void GaussHermiteIntegratesGaussianMomentsExactly()
    {
        var g = new GaussHermite(20);
        double df = 1;
        for (int k = 0; k < 19; k++)
        {
            if (k > 0) df *= 2 * k - 1;
            int kk = k;
            Assert.Equal(df, g.Expect(z => Math.Pow(z, 2 * kk)), 1e-9 * df);
        }
    }

    [Fact]
    public void QuadratureErrorEstimateIsSmallForSmoothAndShrinksWithDegree()
    {
        var erf = new Erf();
        var coarse = new NumericalActivation("erf", erf.Phi, erf.Derivative, 8);
        var fine = new NumericalActivation("erf", erf.Phi, erf.Derivative, 40);
        var (ec, _) = coarse.ErrorEstimate(1, 0.5, 1);
        var (ef, _) = fine.ErrorEstimate(1, 0.5, 1);
        Assert.True(ef < ec, $"error estimates {ef} (degree 40) vs {ec} (degree 8)");
        Assert.True(ef < 1e-10);
        // The estimate bounds the actual error of the coarse rule within a small factor.
        double actual = Math.Abs(coarse.Nngp(1, 0.5, 1) - erf.Nngp(1, 0.5, 1));
        Assert.True(actual <= 10 * ec + 1e-15, $"actual {actual}, estimate {ec}");
    }

    [Fact]
    public void VectorAcosIsAccurate()
    {
        double worst = 0;
        for (int i = 0; i <= 200_000; i++)
        {
            double x = -1 + 2.0 * i / 200_000;
            worst = Math.Max(worst, Math.Abs(VectorMath.Acos(x) - Math.Acos(x)));
        }
        foreach (double x in new[] { -1.0, 1.0, 0.5, -0.5, 1 - 1e-16, -1 + 1e-16, 1e-300 })
            worst = Math.Max(worst, Math.Abs(VectorMath.Acos(x) - Math.Acos(x)));
        Assert.True(worst < 1e-15, $"max |acos error| = {worst}");
    }
}
