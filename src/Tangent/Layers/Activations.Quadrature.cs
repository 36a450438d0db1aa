namespace Tangent.Layers;

/// <summary>
/// The common activations without a closed-form dual, by name: tanh, sigmoid, softplus, silu (swish),
/// elu(α), selu and mish (docs/LAYERS.md, "Activations by quadrature"). Both expectations are integrals
/// against the Gaussian, computed with composite 10-point Gauss–Legendre panels through the Cholesky factor
/// of the 2×2 covariance (u = l11·z1, v = l21·z1 + l22·z2) over ±<see cref="Range"/> standard deviations.
/// Every one of these φ is analytic except at points whose real part is within 0.4 of 0 (tanh's poles at ±iπ/2,
/// the logistic's at ±iπ, mish's near 0.35 ± 2.36i; elu and selu have a kink at 0), so the panels are graded:
/// split where the argument crosses 0 (on the inner axis at z2 = −l21·z1/l22), one unit wide (in the activation's
/// argument) next to it and doubling away from it, but never wider than <see cref="MaxZWidth"/> standard
/// deviations (the Gaussian's own scale). Gauss–Hermite quadrature (<see cref="NumericalActivation"/>) converges
/// slowly for these: algebraically at the kinks of elu and selu, and for tanh ever more slowly as q grows (its poles
/// come within π/(2√q) of the real axis in the standard variable). Here the cost is some 150–250 nodes per axis
/// (growing like log q); the 1-D moments agree with 30-digit mpmath integrals within 1e-12 relative for q in
/// 0.04..400 (tests/Tangent.Tests/Layers/ExtraActivationTests.cs).
/// </summary>
public sealed class QuadratureActivation : Activation
{
    /// <summary>Half-width of the integration range, in standard deviations (the Gaussian mass beyond is below 3e-19).</summary>
    public const double Range = 9;

    /// <summary>The widest panel, in standard deviations of the axis.</summary>
    public const double MaxZWidth = 1.5;

    /// <summary>The narrowest panel, in standard deviations of the axis (see <see cref="Rule"/>).</summary>
    public const double MinZWidth = 1e-9;

    /// <summary>SELU's λ (Klambauer et al. 2017).</summary>
    public const double SeluLambda = 1.0507009873554804934193349852946;

    /// <summary>SELU's α (Klambauer et al. 2017).</summary>
    public const double SeluAlpha = 1.6732632423543772848170429916717;

    private const int Points = 10;
    private static readonly (double[] X, double[] W) Legendre = GaussLegendre(Points);

    private readonly Func<double, double> _phi, _dphi;
    private readonly string _name;

    private QuadratureActivation(string name, Func<double, double> phi, Func<double, double> derivative, bool kinked, double alpha = double.NaN)
    {
        _name = name; _phi = phi; _dphi = derivative; IsKinked = kinked; Alpha = alpha;
    }

    /// <summary>Whether φ or φ' has a kink or jump (elu, selu): then the activation does not count as smooth when
    /// composed with another (docs/LAYERS.md, "Gaussian pre-activations").</summary>
    public bool IsKinked { get; }

    /// <summary>elu's α (NaN for the others).</summary>
    public double Alpha { get; }

    /// <summary>tanh(x).</summary>
    public static QuadratureActivation Tanh() => new("tanh", Math.Tanh, x => { double c = Math.Cosh(x); return 1 / (c * c); }, false);

    /// <summary>The logistic sigmoid 1/(1 + e^{−x}).</summary>
    public static QuadratureActivation Sigmoid() => new("sigmoid", Logistic, x => Logistic(x) * Logistic(-x), false);

    /// <summary>softplus(x) = log(1 + eˣ).</summary>
    public static QuadratureActivation Softplus() => new("softplus", SoftplusOf, Logistic, false);

    /// <summary>SiLU (swish with β = 1), x·sigmoid(x) (Hendrycks &amp; Gimpel 2016; Ramachandran et al. 2017).</summary>
    public static QuadratureActivation Silu() => new("silu", x => x * Logistic(x), x => Logistic(x) + x * Logistic(x) * Logistic(-x), false);

    /// <summary>mish(x) = x·tanh(softplus(x)) (Misra 2019).</summary>
    public static QuadratureActivation Mish() => new("mish", x => x * Math.Tanh(SoftplusOf(x)), x =>
    {
        double sp = SoftplusOf(x), c = Math.Cosh(sp);
        return Math.Tanh(sp) + x * Logistic(x) / (c * c);
    }, false);

    /// <summary>ELU: x for x &gt; 0, α·(eˣ − 1) below (Clevert et al. 2016).</summary>
    /// <exception cref="ArgumentOutOfRangeException">α not finite.</exception>
    public static QuadratureActivation Elu(double alpha = 1)
    {
        ParameterCheck.RequireFinite("elu", ("alpha", alpha));
        return new(alpha == 1 ? "elu" : $"elu(alpha={Dense.Fmt(alpha)})", x => x > 0 ? x : alpha * double.ExpM1(x), x => x > 0 ? 1 : alpha * Math.Exp(x), true, alpha);
    }

    /// <summary>SELU, λ·elu_α(x) with the self-normalising constants (Klambauer et al. 2017).</summary>
    public static QuadratureActivation Selu() =>
        new("selu", x => SeluLambda * (x > 0 ? x : SeluAlpha * double.ExpM1(x)), x => SeluLambda * (x > 0 ? 1 : SeluAlpha * Math.Exp(x)), true);

    private static double Logistic(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));
    private static double SoftplusOf(double x) => Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x)));

    /// <inheritdoc />
    public override double Phi(double x) => _phi(x);
    /// <inheritdoc />
    public override double Derivative(double x) => _dphi(x);
    /// <inheritdoc />
    public override double Nngp(double q11, double q12, double q22) => Expect2(_phi, q11, q12, q22);
    /// <inheritdoc />
    public override double NtkFactor(double q11, double q12, double q22) => Expect2(_dphi, q11, q12, q22);
    /// <inheritdoc />
    public override double Variance(double q) => Moment(_phi, q, 2);
    /// <inheritdoc />
    public override double DerivativeVariance(double q) => Moment(_dphi, q, 2);

    /// <summary>E[φ(u)] for u ~ N(0, q) (the 1-D rule; for tests and the mean of the output).</summary>
    public double Mean(double q) => Moment(_phi, q, 1);

    /// <summary>E[f(u)ᵖ], u ~ N(0, q), p = 1 or 2.</summary>
    private static double Moment(Func<double, double> f, double q, int power)
    {
        double sigma = Math.Sqrt(Math.Max(q, 0));
        if (!(sigma > 0)) { double v = f(0); return power == 1 ? v : v * v; }
        var (z, w) = Rule(0, sigma, 1);
        double s = 0;
        for (int i = 0; i < z.Count; i++) { double v = f(sigma * z[i]); s += w[i] * (power == 1 ? v : v * v); }
        return s;
    }

    /// <summary>E[f(u)·f(v)], (u, v) ~ N(0, [[q11, q12], [q12, q22]]), u = l11·z1, v = l21·z1 + l22·z2 with
    /// l21 = ρ·√q22 and l22 = √q22·√((1 − ρ)(1 + ρ)) (no cancellation near the diagonal).</summary>
    private double Expect2(Func<double, double> f, double q11, double q12, double q22)
    {
        double l11 = Math.Sqrt(Math.Max(q11, 0)), s2 = Math.Sqrt(Math.Max(q22, 0)), rho = Correlation(q11, q12, q22);
        double l21 = l11 > 0 ? rho * s2 : 0, l22 = l11 > 0 ? s2 * Math.Sqrt((1 - rho) * (1 + rho)) : s2;
        double outerScale = Math.Max(l11, Math.Abs(l21));
        // Near the diagonal the inner average E[f(l21·z1 + l22·z2) | z1] is f smoothed over l22 around l21·z1 = 0:
        // for a kinked f the outer panels start that fine.
        double h0 = IsKinked && l22 > 0 ? Math.Min(1, l22) : 1;
        var (z1, w1) = outerScale > 0 ? Rule(0, outerScale, h0) : ([0.0], [1.0]);
        double s = 0;
        for (int i = 0; i < z1.Count; i++)
        {
            double fu = f(l11 * z1[i]);
            if (fu == 0) continue;
            double a = l21 * z1[i], inner = 0;
            if (l22 > 0)
            {
                var (z2, w2) = Rule(Math.Clamp(-a / l22, -Range, Range), l22, 1);
                for (int j = 0; j < z2.Count; j++) inner += w2[j] * f(a + l22 * z2[j]);
            }
            else inner = f(a);
            s += w1[i] * fu * inner;
        }
        return s;
    }

    /// <summary>
    /// Nodes z and weights (Gauss–Legendre weight × N(z; 0, 1)) on [−Range, Range] for an axis of standard deviation
    /// σ, split at c (where the activation's argument is 0): panels h0/σ wide next to c, doubling away from it, at most
    /// <see cref="MaxZWidth"/> wide.
    /// </summary>
    private static (List<double> Z, List<double> W) Rule(double c, double sigma, double h0)
    {
        var z = new List<double>(256); var w = new List<double>(256);
        // No panel narrower than MinZWidth: for a huge σ (q ≈ 1e40) h0/σ fell below the spacing of doubles near c, the
        // panels stopped advancing and the rule grew without end (an out-of-memory kill). The kink's neighbourhood that
        // narrower panels would resolve carries a probability below 1e-9 of the normal weight.
        double first = Math.Clamp(h0 / sigma, MinZWidth, MaxZWidth);
        foreach (int dir in (int[])[-1, 1])
        {
            double p = c, width = first;
            while (dir > 0 ? p < Range : p > -Range)
            {
                double next = dir > 0 ? Math.Min(p + width, Range) : Math.Max(p - width, -Range);
                double mid = (p + next) / 2, half = Math.Abs(next - p) / 2;
                for (int k = 0; k < Points; k++)
                {
                    double x = mid + half * Legendre.X[k];
                    z.Add(x);
                    w.Add(half * Legendre.W[k] * Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI));
                }
                width = Math.Min(Math.Abs(next - c), MaxZWidth);
                p = next;
            }
        }
        return (z, w);
    }

    /// <summary>Nodes and weights of the n-point Gauss–Legendre rule on [−1, 1] (Newton on Pₙ from Chebyshev guesses).</summary>
    private static (double[] X, double[] W) GaussLegendre(int n)
    {
        var x = new double[n]; var w = new double[n];
        for (int i = 0; i < n; i++)
        {
            double t = Math.Cos(Math.PI * (i + 0.75) / (n + 0.5)), dp = 0;
            for (int it = 0; it < 100; it++)
            {
                double p0 = 1, p1 = t;
                for (int k = 2; k <= n; k++) (p0, p1) = (p1, ((2 * k - 1) * t * p1 - (k - 1) * p0) / k);
                dp = n * (t * p1 - p0) / (t * t - 1);
                double dt = p1 / dp;
                t -= dt;
                if (Math.Abs(dt) < 1e-16) break;
            }
            x[i] = t; w[i] = 2 / ((1 - t * t) * dp * dp);
        }
        return (x, w);
    }

    /// <inheritdoc />
    public override string ToString() => _name;
}
