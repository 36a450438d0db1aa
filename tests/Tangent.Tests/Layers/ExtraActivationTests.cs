using System.Globalization;
using System.Text;
using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Tests.Layers;

/// <summary>
/// The activations of Tangent issue 10: rbf, gabor, rectified_monomial, sigmoid_like in closed form and tanh,
/// sigmoid, softplus, silu, elu, selu, mish by quadrature, against independent references.
/// </summary>
public sealed class ExtraActivationTests
{
    private static Activation Act(string spec) => (Activation)Architecture.ParseLayer(spec);

    private static void Close(double expected, double actual, double rel, string what) =>
        Assert.True(Math.Abs(expected - actual) <= rel * Math.Max(1, Math.Abs(expected)), $"{what}: expected {expected:R}, got {actual:R}");

    public static TheoryData<string> Smooth() => new() { "rbf", "rbf(gamma=0.3)", "gabor", "sigmoid_like" };

    /// <summary>The smooth closed forms against 200-point Gauss–Hermite quadrature (exact to rounding for these
    /// entire functions at moderate variances).</summary>
    [Theory]
    [MemberData(nameof(Smooth))]
    public void SmoothClosedFormsMatchQuadrature(string spec)
    {
        var a = Act(spec);
        var num = new NumericalActivation(spec, a.Phi, a.Derivative, 200);
        foreach (var (q11, q12, q22) in new[] { (1.0, 0.3, 0.8), (0.5, -0.4, 1.2), (1.5, 1.5, 1.5), (0.2, 0.0, 0.7), (2.0, -1.9, 1.9) })
        {
            Close(num.Nngp(q11, q12, q22), a.Nngp(q11, q12, q22), 1e-12, $"{spec} nngp at ({q11}, {q12}, {q22})");
            Close(num.NtkFactor(q11, q12, q22), a.NtkFactor(q11, q12, q22), 1e-12, $"{spec} ntk at ({q11}, {q12}, {q22})");
        }
        Close(num.Variance(1.1), a.Variance(1.1), 1e-12, $"{spec} variance");
    }

    [Fact]
    public void SigmoidLikeIsNeuralTangentsErf()
    {
        var s = Act("sigmoid_like");
        var e = new Erf(0.5, 1 / 2.4020563531719796, 0.5);
        Assert.Equal(0.5, s.Phi(0));
        Assert.Equal(e.Nngp(1.2, 0.4, 0.9), s.Nngp(1.2, 0.4, 0.9));
        Assert.Equal(e.NtkFactor(1.2, 0.4, 0.9), s.NtkFactor(1.2, 0.4, 0.9));
        Assert.True(Math.Abs(s.Phi(2) - 1 / (1 + Math.Exp(-2))) < 0.02);   // close to the logistic sigmoid
    }

    [Fact]
    public void RbfIsTheRbfKernel()
    {
        var r = new Rbf(0.7);
        Assert.Equal(Math.Exp(-0.7 * (1.2 + 0.8 - 2 * 0.5)), r.Nngp(1.2, 0.5, 0.8), 14);
        Assert.Equal(2 * 0.7 * r.Nngp(1.2, 0.5, 0.8), r.NtkFactor(1.2, 0.5, 0.8), 14);
        Assert.Equal(1.0, r.Nngp(1e8, 1e8, 1e8));
    }

    /// <summary>Cho &amp; Saul's J₀, J₁, J₂ written out, relu itself, the diagonal (2n−1)!!/2·qⁿ and Price's theorem
    /// ∂M(n,n)/∂ρ = n²·M(n−1,n−1) for the recurrence up to n = 8.</summary>
    [Fact]
    public void RectifiedMonomialIsTheArcCosineKernel()
    {
        foreach (double rho in new[] { -0.95, -0.5, 0, 0.3, 0.8, 0.999 })
        {
            double t = Math.Acos(rho), sin = Math.Sin(t);
            Assert.Equal((Math.PI - t) / (2 * Math.PI), RectifiedMonomial.UnitMoment(0, rho), 14);
            Assert.Equal((sin + (Math.PI - t) * rho) / (2 * Math.PI), RectifiedMonomial.UnitMoment(1, rho), 14);
            Assert.Equal((3 * sin * rho + (Math.PI - t) * (1 + 2 * rho * rho)) / (2 * Math.PI), RectifiedMonomial.UnitMoment(2, rho), 13);
            // For ρ < 0 the recurrence's terms alternate in sign: its error is relative to the diagonal value M(n, n)(1).
            for (int n = 1; n <= 8; n++)
            {
                double h = 1e-5, d = (RectifiedMonomial.UnitMoment(n, rho + h) - RectifiedMonomial.UnitMoment(n, rho - h)) / (2 * h);
                double scale = n * n * RectifiedMonomial.UnitMoment(n - 1, 1);
                Assert.True(Math.Abs(n * n * RectifiedMonomial.UnitMoment(n - 1, rho) - d) <= 1e-7 * scale, $"Price n={n} rho={rho}");
            }
        }
        var relu = ABRelu.Relu();
        var r1 = new RectifiedMonomial(1);
        Close(relu.Nngp(1.3, -0.4, 0.7), r1.Nngp(1.3, -0.4, 0.7), 1e-14, "relu nngp");
        Close(relu.NtkFactor(1.3, -0.4, 0.7), r1.NtkFactor(1.3, -0.4, 0.7), 1e-14, "relu ntk");
        double dfact = 1;
        for (int n = 1; n <= 30; n++)
        {
            dfact *= 2 * n - 1;
            Close(dfact / 2 * Math.Pow(3.0, n), new RectifiedMonomial(n).Variance(3), 1e-13, $"diagonal n={n}");
        }
        Assert.False(new RectifiedMonomial(0).HasNtk);
        Assert.Throws<NotSupportedException>(() => new RectifiedMonomial(0).NtkFactor(1, 0.5, 1));
        Assert.Equal(0.25, new RectifiedMonomial(0).Nngp(1, 0, 1), 15);
    }

    public static TheoryData<string> All() => new()
    {
        "rbf(gamma=0.5)", "gabor", "rectified_monomial(n=0)", "rectified_monomial(n=2)", "rectified_monomial(n=3)", "sigmoid_like",
        "tanh", "sigmoid", "softplus", "silu", "elu", "elu(alpha=0.5)", "selu", "mish",
    };

    /// <summary>φ' of the finite twin is the derivative of φ (central differences), and the spec prints back to itself.</summary>
    [Theory]
    [MemberData(nameof(All))]
    public void DerivativeAndRoundTrip(string spec)
    {
        var a = Act(spec);
        Assert.Equal(spec, a.ToString());
        Assert.Equal(spec, Architecture.ParseLayer(a.ToString()).ToString());
        if (!a.HasNtk) return;
        foreach (double x in new[] { -3.1, -1.2, -0.37, 0.41, 0.9, 2.6 })
        {
            double h = 1e-6, d = (a.Phi(x + h) - a.Phi(x - h)) / (2 * h);
            Close(d, a.Derivative(x), 1e-7, $"{spec}'({x})");
        }
    }

    [Fact]
    public void SwishIsSilu() => Assert.Equal("silu", Architecture.ParseLayer("swish").ToString());

    /// <summary>Rows that are copies give exactly (to 1e-13) the diagonal's value, even at σw = 1e3 (variances 1e6).</summary>
    [Theory]
    [MemberData(nameof(All))]
    public void DuplicateRowsEqualTheDiagonal(string act)
    {
        var x = LayerTestUtil.RandomInputs(3, 4, 5);
        var xx = new Matrix(4, 4);
        for (int i = 0; i < 3; i++) for (int j = 0; j < 4; j++) xx[i, j] = x[i, j];
        for (int j = 0; j < 4; j++) xx[3, j] = x[0, j];
        foreach (double w in new[] { 1.3, 1e3 })
        {
            var arch = Architecture.Parse($"dense(w={w.ToString(CultureInfo.InvariantCulture)},b=0.1) {act} dense(w=1)");
            bool ntk = act != "rectified_monomial(n=0)";
            var k = arch.ComputeKernels(xx, null, ntk ? KernelOutputs.Both : KernelOutputs.Nngp);
            Close(k.Nngp[0, 0], k.Nngp[0, 3], 1e-13, $"{act} w={w} nngp");
            Close(k.Nngp[0, 0], k.Nngp[3, 3], 1e-13, $"{act} w={w} nngp diagonal");
            if (ntk) Close(k.Ntk[0, 0], k.Ntk[0, 3], 1e-13, $"{act} w={w} ntk");
            Assert.True(double.IsFinite(k.Nngp[1, 2]), $"{act} w={w}: off-diagonal entry not finite");
        }
    }

    [Theory]
    [InlineData("dense tanhh dense", "Did you mean 'tanh'?")]
    [InlineData("dense sigmod dense", "Did you mean 'sigmoid'?")]
    [InlineData("dense rectified_monomal(n=2)", "Did you mean 'rectified_monomial'?")]
    [InlineData("dense gabr", "Did you mean 'gabor'?")]
    [InlineData("dense selu(alpha=2)", "selu takes no parameters.")]
    [InlineData("dense elu(alfa=2)", "Did you mean 'alpha'?")]
    public void UnknownNamesSuggestTheNearest(string spec, string hint)
    {
        var e = Assert.Throws<FormatException>(() => Architecture.Parse(spec));
        Assert.Contains(hint, e.Message);
    }

    [Theory]
    [InlineData("dense rbf(gamma=0)", 17, "rbf: 'gamma' must be a finite number > 0")]
    [InlineData("dense rbf(gamma=-1)", 17, "got -1")]
    [InlineData("dense rectified_monomial(n=31)", 28, "'n' must be a whole number in 0..30")]
    [InlineData("dense elu(alpha=1e400)", 17, "elu: 'alpha' must be a finite number")]
    public void ParametersAreRangeChecked(string spec, int column, string message)
    {
        var e = Assert.Throws<FormatException>(() => Architecture.Parse(spec));
        Assert.Contains($"column {column}:", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void TanhWorksEndToEnd()
    {
        var k = Architecture.Parse("dense(w=1.5,b=0.1) tanh dense(w=1)").ComputeKernels(LayerTestUtil.RandomInputs(4, 3, 2));
        Assert.True(k.Nngp[0, 0] > 0 && double.IsFinite(k.Ntk[1, 2]));
    }

    [Theory]
    [InlineData("tanh")]
    [InlineData("softplus")]
    [InlineData("elu")]
    public void QuadratureAtAHugeVarianceEndsAndIsFinite(string name)
    {
        // q = 1e40 once made the panel width fall below the spacing of doubles: the rule never ended (out-of-memory kill).
        var a = (QuadratureActivation)Act(name);
        double q = 1e40, rho = 0.3;
        double k = a.Nngp(q, rho * q, q), t = a.NtkFactor(q, rho * q, q);
        Assert.True(double.IsFinite(k) && double.IsFinite(t), $"{name}: {k}, {t}");
        if (name == "tanh") Assert.Equal(2 / Math.PI * Math.Asin(rho), k, 1e-6);   // tanh → sign: E[sign u · sign v] = (2/π)·asin ρ
    }

    public static TheoryData<string> Quadrature() => new() { "tanh", "sigmoid", "softplus", "silu", "elu", "selu", "mish" };

    /// <summary>E[φ], E[φ²], E[φ'²] at q from 0.04 to 400 against python3-mpmath (30 digits, split at the kink):
    /// within 1e-12 relative; and the 2-D rule at ρ = 0 is the product of the means.</summary>
    [SkippableTheory]
    [MemberData(nameof(Quadrature))]
    public void QuadratureMomentsMatchMpMath(string name)
    {
        Skip.If(MpMath.Python is null, MpMath.SkipMessage);
        var a = (QuadratureActivation)Act(name);
        double[] qs = [0.04, 0.5, 1, 4, 25, 400];
        var input = new StringBuilder();
        foreach (double q in qs) input.AppendLine($"{name} {q.ToString("R", CultureInfo.InvariantCulture)}");
        var lines = MpMath.Run(MomentScript, input.ToString()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(qs.Length, lines.Length);
        for (int i = 0; i < qs.Length; i++)
        {
            var r = lines[i].Split(' ').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            Close(r[0], a.Mean(qs[i]), 1e-12, $"{name} mean q={qs[i]}");
            Close(r[1], a.Variance(qs[i]), 1e-12, $"{name} E[φ²] q={qs[i]}");
            Close(r[2], a.DerivativeVariance(qs[i]), 1e-12, $"{name} E[φ'²] q={qs[i]}");
            Close(r[1], a.Nngp(qs[i], qs[i], qs[i]), 1e-12, $"{name} 2-D rule on the diagonal q={qs[i]}");
        }
        Close(a.Mean(0.7) * a.Mean(2.3), a.Nngp(0.7, 0, 2.3), 1e-12, $"{name} 2-D rule at ρ = 0");
    }

    /// <summary>The 2-D rule against nested python3-mpmath integrals (17 digits, split at the kinks; the values are
    /// mpmath's, computed once because each takes some 15 s): within 1e-12 relative.</summary>
    [Theory]
    [InlineData("tanh", true, 1.3, 0.6, 0.9, 0.21341672800670131874)]
    [InlineData("tanh", false, 1.3, 0.6, 0.9, 0.37097713510071114165)]
    [InlineData("sigmoid", true, 1.3, 0.6, 0.9, 0.27504752436234441732)]
    [InlineData("sigmoid", false, 1.3, 0.6, 0.9, 0.042187476056250287535)]
    [InlineData("softplus", true, 1.3, 0.6, 0.9, 0.82296268340790965524)]
    public void QuadratureKernelMatchesMpMath(string name, bool nngp, double q11, double q12, double q22, double expected)
    {
        var a = Act(name);
        Close(expected, nngp ? a.Nngp(q11, q12, q22) : a.NtkFactor(q11, q12, q22), 1e-12, $"{name} at ({q11}, {q12}, {q22})");
    }

    private const string MomentScript = """
        import sys, mpmath as mp
        mp.mp.dps = 30
        L = mp.mpf('1.0507009873554804934193349852946'); A = mp.mpf('1.6732632423543772848170429916717')
        sig = lambda x: 1 / (1 + mp.exp(-x))
        sp = lambda x: mp.log(1 + mp.exp(x))
        F = {
          'tanh': (mp.tanh, lambda x: 1 / mp.cosh(x)**2),
          'sigmoid': (sig, lambda x: sig(x) * sig(-x)),
          'softplus': (sp, sig),
          'silu': (lambda x: x * sig(x), lambda x: sig(x) + x * sig(x) * sig(-x)),
          'mish': (lambda x: x * mp.tanh(sp(x)), lambda x: mp.tanh(sp(x)) + x * sig(x) / mp.cosh(sp(x))**2),
          'elu': (lambda x: x if x > 0 else mp.expm1(x), lambda x: 1 if x > 0 else mp.exp(x)),
          'selu': (lambda x: L * (x if x > 0 else A * mp.expm1(x)), lambda x: L * (1 if x > 0 else A * mp.exp(x))),
        }
        N = lambda z: mp.exp(-z * z / 2) / mp.sqrt(2 * mp.pi)
        for line in sys.stdin:
            name, q = line.split()
            s = mp.sqrt(mp.mpf(q)); f, d = F[name]
            pts = [-14, -4, -1, 0, 1, 4, 14]
            m = mp.quad(lambda z: N(z) * f(s * z), pts)
            v = mp.quad(lambda z: N(z) * f(s * z)**2, pts)
            t = mp.quad(lambda z: N(z) * d(s * z)**2, pts)
            print(mp.nstr(m, 20), mp.nstr(v, 20), mp.nstr(t, 20))
        """;
}
