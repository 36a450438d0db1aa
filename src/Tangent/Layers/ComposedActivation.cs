namespace Tangent.Layers;

/// <summary>
/// An activation fed a Gaussian input whose output goes straight into a second activation, φ2(φ1(z)),
/// is one elementwise function of a Gaussian: its kernel rule is the activation rule of φ2∘φ1
/// (docs/LAYERS.md, "Gaussian pre-activations"). This finds that rule exactly where there is one and
/// by quadrature where it is accurate; otherwise it says why not.
/// </summary>
internal static class ActivationComposition
{
    /// <summary>
    /// φ2∘φ1 (<paramref name="inner"/> applied first) as one activation, or null with the reason in
    /// <paramref name="refusal"/>. Exact: identity on either side; abrelu∘abrelu = abrelu (positively
    /// homogeneous, one kink at 0); any φ2∘step = step (a step takes two values), step∘φ1 for φ1 of known
    /// sign (abrelu, erf without offset, gelu) = step; polynomial∘polynomial = polynomial (degree ≤ 30).
    /// By quadrature (<see cref="ComposedActivation"/>): both smooth. Refused: a kinked abrelu (a ≠ b)
    /// with a non-abrelu, or a step of a function whose sign changes are not known.
    /// </summary>
    /// <param name="outer">φ2.</param>
    /// <param name="inner">φ1.</param>
    /// <param name="location">Where the pair sits, for messages (e.g. "'erf' (layer 2) then 'gelu' (layer 3)").</param>
    /// <param name="fix">What to do when the quadrature is not accurate at the data's variances.</param>
    /// <param name="refusal">Why there is no rule, when null is returned.</param>
    public static Activation? Compose(Activation outer, Activation inner, string location, string fix, out string? refusal)
    {
        refusal = null;
        if (inner is Identity) return outer;
        if (outer is Identity) return inner;
        if (outer is ABRelu o && inner is ABRelu i) return ComposeABRelu(o, i);
        if (StepActivation.From(inner) is { } step) return step.Then(outer);
        if (StepActivation.From(outer) is { } s)
        {
            if (SignPattern(inner) is { } pattern) return s.After(pattern.Negative, pattern.Positive, inner);
            refusal = $"{outer}∘{inner} jumps wherever {inner} changes sign, which has no closed form here and defeats quadrature";
            return null;
        }
        if (outer is Polynomial po && inner is Polynomial pi && (po.Coefficients.Count - 1) * (pi.Coefficients.Count - 1) <= 30)
            return new Polynomial(ComposePolynomials(po.Coefficients, pi.Coefficients));
        if (IsSmooth(outer) && IsSmooth(inner)) return new ComposedActivation(outer, inner, location, fix);
        refusal = $"{outer}∘{inner} has a kink, where quadrature converges too slowly to reach {ComposedActivation.Tolerance:G1} relative, and no closed form here";
        return null;
    }

    /// <summary>
    /// abrelu(a2, b2)∘abrelu(a1, b1): for x &gt; 0 the inner value b1·x has the sign of b1, so the slope is
    /// b1·b2 when b1 &gt; 0 and b1·a2 when b1 &lt; 0; for x &lt; 0 the inner value a1·x has the sign of −a1,
    /// so the slope is a1·a2 when a1 &gt; 0 and a1·b2 when a1 &lt; 0. The result is again abrelu (relu∘relu =
    /// relu, abs∘relu = relu, relu∘abs = abs, leaky(α)∘leaky(β) = leaky(αβ)).
    /// </summary>
    internal static ABRelu ComposeABRelu(ABRelu outer, ABRelu inner)
    {
        double b = inner.B > 0 ? inner.B * outer.B : inner.B * outer.A;
        double a = inner.A > 0 ? inner.A * outer.A : inner.A * outer.B;
        return new ABRelu(a, b);
    }

    /// <summary>The coefficients of p(r(x)) (Horner's scheme on polynomials).</summary>
    internal static double[] ComposePolynomials(IReadOnlyList<double> p, IReadOnlyList<double> r)
    {
        double[] acc = [p[^1]];
        for (int k = p.Count - 2; k >= 0; k--)
        {
            var next = new double[acc.Length + r.Count - 1];
            for (int i = 0; i < acc.Length; i++)
                for (int j = 0; j < r.Count; j++) next[i + j] += acc[i] * r[j];
            next[0] += p[k];
            acc = next;
        }
        int n = acc.Length;
        while (n > 1 && acc[n - 1] == 0) n--;
        return acc[..n];
    }

    /// <summary>The sign of φ(x) for x &lt; 0 and for x &gt; 0, for activations with φ(0) = 0 and one sign on
    /// each side; null when not known.</summary>
    private static (int Negative, int Positive)? SignPattern(Activation phi) => phi switch
    {
        ABRelu r => (-Math.Sign(r.A), Math.Sign(r.B)),
        Erf { C: 0 } e => (-Math.Sign(e.A * e.B), Math.Sign(e.A * e.B)),
        Gelu => (-1, 1),
        _ => null,
    };

    /// <summary>Infinitely differentiable (so that Gauss–Hermite quadrature converges fast), or given by
    /// delegates whose accuracy the quadrature check will judge.</summary>
    private static bool IsSmooth(Activation phi) => phi switch
    {
        ABRelu r => r.A == r.B,
        Erf or Gelu or Sin or Exp or Gaussian or Polynomial or ComposedActivation or NumericalActivation => true,
        Rbf or Gabor or SigmoidLike => true,
        QuadratureActivation q => !q.IsKinked,
        _ => false,
    };
}

/// <summary>
/// φ2∘φ1 for two smooth activations (φ1 applied first), with φ' = φ2'(φ1(x))·φ1'(x) and both
/// expectations by the trapezoidal rule. Gauss–Hermite quadrature (<see cref="NumericalActivation"/>)
/// converges slowly here: erf∘erf grows like exp(exp(y²)) off the real axis, and degree 64 is only
/// 1e-4 accurate (relative) at q = 1 and 1e-2 at q = 2. The trapezoidal rule converges geometrically for
/// functions analytic in a strip around the real axis, which compositions of smooth activations are:
/// nodes kh over ±<see cref="Range"/> standard deviations (the Gaussian weight left out is below 3e-18),
/// step h = <see cref="Step"/>/σ on each axis so that the spacing is the same in the activation's argument
/// (σ the axis' standard deviation), through the Cholesky factor of the 2×2 covariance. <see cref="Step"/>
/// is chosen once, at construction, as the coarsest of 0.3, 0.2, 0.1, 0.05 at which the 1-D moments E[φ²]
/// and E[φ'²] at q = 1/4, 1 and 4 agree with half the step to 1e-9 (0.2 for erf∘erf, erf∘gelu, sin∘erf,
/// whose kernels then agree with half the step to about 1e-11). The accuracy depends on the input
/// variance q as well (a growing φ needs a wider range; a large q needs many nodes), so before any kernel
/// entry the input variances are checked: at q_max and q_max/4 and correlations 1, 0.6, −0.6, the value must agree within
/// <see cref="Tolerance"/> of E[φ(u)²] (NNGP) and E[φ'(u)²] (NTK factor), which bound every entry, with
/// the rule of half the step over ±11 standard deviations, and an axis may not need more than
/// <see cref="MaxNodes"/> nodes; otherwise a <see cref="NonGaussianInputException"/> says to insert a
/// dense layer between the two activations. Cost: about (2·Range·√q/Step)² evaluations of φ per entry,
/// some 8000 at q = 1: a dense layer in between is much cheaper.
/// </summary>
internal sealed class ComposedActivation : Activation
{
    /// <summary>The relative accuracy demanded at the data's input variances.</summary>
    public const double Tolerance = 1e-6;

    /// <summary>Half-width of the integration range, in standard deviations.</summary>
    public const double Range = 9;

    /// <summary>The most nodes on one axis (the cost is their square per entry).</summary>
    public const int MaxNodes = 513;

    private const double MaxZStep = 0.5;   // the trapezoidal sum of the Gaussian weight alone is exact to e^{−2π²/h²}
    private static readonly double[] Steps = [0.3, 0.2, 0.1, 0.05];
    private static readonly double[] CheckedCorrelations = [1, 0.6, -0.6];
    private readonly Func<double, double> _phi, _dphi;
    private readonly string _location, _fix;
    private double _checkedUpTo = -1;

    /// <summary>Composes <paramref name="outer"/> after <paramref name="inner"/>.</summary>
    /// <param name="outer">φ2.</param>
    /// <param name="inner">φ1.</param>
    /// <param name="location">Where the pair sits, for messages.</param>
    /// <param name="fix">What to do when the quadrature is not accurate at the data's variances.</param>
    public ComposedActivation(Activation outer, Activation inner, string location, string fix)
    {
        Outer = outer; Inner = inner; _location = location; _fix = fix;
        _phi = x => outer.Phi(inner.Phi(x));
        _dphi = x => outer.Derivative(inner.Phi(x)) * inner.Derivative(x);
        Step = Steps[^1];
        foreach (double h in Steps)
        {
            bool ok = true;
            foreach (double q in (double[])[0.25, 1, 4])
                foreach (var f in HasNtk ? [_phi, _dphi] : new[] { _phi })
                {
                    double a = Moment(f, q, h, Range), b = Moment(f, q, h / 2, Range);
                    ok &= Math.Abs(a - b) <= 1e-9 * Math.Abs(b);
                }
            if (ok) { Step = h; break; }
        }
    }

    /// <summary>φ2, applied second.</summary>
    public Activation Outer { get; }
    /// <summary>φ1, applied first.</summary>
    public Activation Inner { get; }
    /// <summary>The node spacing in the activation's argument.</summary>
    public double Step { get; }

    /// <inheritdoc />
    public override bool HasNtk => Outer.HasNtk && Inner.HasNtk;
    /// <inheritdoc />
    public override double Phi(double x) => _phi(x);
    /// <inheritdoc />
    public override double Derivative(double x) => _dphi(x);
    /// <inheritdoc />
    public override double Nngp(double q11, double q12, double q22) { Guard(q11, q22); return Expect2(_phi, q11, q12, q22, Step, Range); }
    /// <inheritdoc />
    public override double NtkFactor(double q11, double q12, double q22) { Guard(q11, q22); return Expect2(_dphi, q11, q12, q22, Step, Range); }
    /// <inheritdoc />
    public override double Variance(double q) { Guard(q, q); return Moment(_phi, q, Step, Range); }
    /// <inheritdoc />
    public override double DerivativeVariance(double q) { Guard(q, q); return Moment(_dphi, q, Step, Range); }

    /// <summary>Refuses (with the message of the variance check) a variance whose axes would need more than
    /// <see cref="MaxNodes"/> nodes, whichever path reaches the rule unchecked: no axis of the Cholesky
    /// factor is wider than the larger standard deviation.</summary>
    private void Guard(double q11, double q22)
    {
        double q = Math.Max(q11, q22);
        if (Nodes(Math.Sqrt(Math.Max(q, 0)), Step, Range) > MaxNodes) EnsureAccurate(q);
    }

    /// <inheritdoc />
    public override KernelState Apply(KernelState state)
    {
        EnsureAccurate(Math.Max(state.Cov1, state.Cov2));
        return base.Apply(state);
    }

    /// <inheritdoc />
    internal override void CheckInputVariances(ReadOnlySpan<double> q)
    {
        double max = 0;
        foreach (double v in q) if (v > max) max = v;
        EnsureAccurate(max);
    }

    /// <summary>Nodes on an axis of standard deviation σ (a single node when σ = 0).</summary>
    private static int Nodes(double sigma, double step, double range) =>
        sigma > 0 ? 2 * (int)Math.Ceiling(range / Math.Min(step / sigma, MaxZStep)) + 1 : 1;

    /// <summary>The trapezoidal nodes z and weights h·N(z; 0, 1) of an axis of standard deviation σ.</summary>
    private static (double[] Z, double[] W) Axis(double sigma, double step, double range)
    {
        if (!(sigma > 0)) return ([0.0], [1.0]);
        double h = Math.Min(step / sigma, MaxZStep);
        int k = (int)Math.Ceiling(range / h);
        var z = new double[2 * k + 1]; var w = new double[2 * k + 1];
        for (int i = -k; i <= k; i++) { z[i + k] = i * h; w[i + k] = h * Math.Exp(-0.5 * i * h * i * h) / Math.Sqrt(2 * Math.PI); }
        return (z, w);
    }

    /// <summary>E[f(u)²], u ~ N(0, q).</summary>
    private static double Moment(Func<double, double> f, double q, double step, double range)
    {
        double sigma = Math.Sqrt(Math.Max(q, 0));
        var (z, w) = Axis(sigma, step, range);
        double s = 0;
        for (int i = 0; i < z.Length; i++) { double v = f(sigma * z[i]); s += w[i] * v * v; }
        return s;
    }

    /// <summary>E[f(u)·f(v)] for (u, v) ~ N(0, [[q11, q12], [q12, q22]]): u = l11·z1, v = l21·z1 + l22·z2.</summary>
    private static double Expect2(Func<double, double> f, double q11, double q12, double q22, double step, double range)
    {
        double l11 = Math.Sqrt(Math.Max(q11, 0));
        double l21 = l11 > 0 ? q12 / l11 : 0;
        double l22 = Math.Sqrt(Math.Max(q22 - l21 * l21, 0));
        // The outer integrand f(l11·z1)·E[f(l21·z1 + l22·z2) | z1] varies on the scale of the larger of l11, |l21|.
        var (z1, w1) = Axis(Math.Max(l11, Math.Abs(l21)), step, range);
        var (z2, w2) = Axis(l22, step, range);
        double s = 0;
        for (int i = 0; i < z1.Length; i++)
        {
            double fu = f(l11 * z1[i]);
            if (fu == 0) continue;
            double a = l21 * z1[i], inner = 0;
            for (int j = 0; j < z2.Length; j++) inner += w2[j] * f(a + l22 * z2[j]);
            s += w1[i] * fu * inner;
        }
        return s;
    }

    /// <summary>The largest relative deviation (NNGP or NTK factor) from the rule with half the step over
    /// ±11 standard deviations, at input variance q; +∞ when an axis would need more than <see cref="MaxNodes"/> nodes.</summary>
    internal double RelativeError(double q)
    {
        if (Nodes(Math.Sqrt(Math.Max(q, 0)), Step, Range) > MaxNodes) return double.PositiveInfinity;
        double worst = 0;
        foreach (var f in HasNtk ? [_phi, _dphi] : new[] { _phi })
        {
            double scale = Moment(f, q, Step, Range);
            foreach (double rho in CheckedCorrelations)
            {
                double e = Math.Abs(Expect2(f, q, rho * q, q, Step, Range) - Expect2(f, q, rho * q, q, Step / 2, Range + 2));
                worst = Math.Max(worst, e == 0 ? 0 : e / scale);
            }
        }
        return double.IsNaN(worst) ? double.PositiveInfinity : worst;
    }

    private void EnsureAccurate(double qMax)
    {
        if (!(qMax > _checkedUpTo)) return;   // checked already (or a zero/NaN variance, where nothing is integrated)
        foreach (double q in new[] { qMax, qMax / 4 })
        {
            double e = RelativeError(q);
            if (!(e <= Tolerance))
                throw new NonGaussianInputException(
                    $"{_location}: the composed activation {this} has no closed form, and its quadrature " +
                    (double.IsPositiveInfinity(e)
                        ? $"would need more than {MaxNodes}² nodes per kernel entry at the input variance q = {q:G4} that these inputs reach"
                        : $"is only {e:G2} accurate (relative) at the input variance q = {q:G4} that these inputs reach, above {Tolerance:G1}") +
                    $"; {_fix}.");
        }
        _checkedUpTo = qMax;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Outer}∘{Inner}";
}

/// <summary>
/// A two-valued step φ(x) = L for x &lt; 0, R for x &gt; 0 (M at 0): sign and what a composition with sign
/// gives (relu∘sign, sign∘relu, …). Writing φ = m + d·sign(x), m = (L+R)/2, d = (R−L)/2:
/// nngp' = m² + d²·(2/π)·arcsin ρ, cov' = (L² + R²)/2 (M² for a zero variance). Its derivative is a Dirac
/// delta, so it has no NTK.
/// </summary>
internal sealed class StepActivation : Activation
{
    private readonly string _name;

    /// <summary>Creates the step.</summary>
    public StepActivation(double left, double right, double atZero, string name)
    {
        Left = left; Right = right; AtZero = atZero; _name = name;
    }

    /// <summary>The value for x &lt; 0.</summary>
    public double Left { get; }
    /// <summary>The value for x &gt; 0.</summary>
    public double Right { get; }
    /// <summary>The value at 0.</summary>
    public double AtZero { get; }

    /// <summary>sign as a step; a step as itself; null for anything else.</summary>
    public static StepActivation? From(Activation phi) => phi switch
    {
        StepActivation s => s,
        Sign => new StepActivation(-1, 1, 0, "sign"),
        _ => null,
    };

    /// <summary>φ∘step: the step with values φ(L), φ(R), φ(M).</summary>
    public StepActivation Then(Activation phi) => new(phi.Phi(Left), phi.Phi(Right), phi.Phi(AtZero), $"{phi}∘{this}");

    /// <summary>step∘φ1 for φ1 with φ1(0) = 0, sign <paramref name="negative"/> below 0 and <paramref name="positive"/> above.</summary>
    public StepActivation After(int negative, int positive, Activation inner)
    {
        double Value(int sign) => sign > 0 ? Right : sign < 0 ? Left : AtZero;
        return new(Value(negative), Value(positive), AtZero, $"{this}∘{inner}");
    }

    /// <inheritdoc />
    public override bool HasNtk => false;
    /// <inheritdoc />
    public override double Phi(double x) => x < 0 ? Left : x > 0 ? Right : AtZero;
    /// <inheritdoc />
    public override double Derivative(double x) => 0;

    /// <inheritdoc />
    public override double Nngp(double q11, double q12, double q22)
    {
        double m = (Left + Right) / 2, d = (Right - Left) / 2;
        bool zero1 = !(q11 > 0), zero2 = !(q22 > 0);
        if (zero1 || zero2) return (zero1 ? AtZero : m) * (zero2 ? AtZero : m);
        return m * m + d * d * (2 / Math.PI) * Math.Asin(Correlation(q11, q12, q22));
    }

    /// <inheritdoc />
    public override double Variance(double q) => q > 0 ? (Left * Left + Right * Right) / 2 : AtZero * AtZero;

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">Always.</exception>
    public override double NtkFactor(double q11, double q12, double q22) => throw Sign.NoNtk();

    /// <inheritdoc />
    internal override void RowKernel(Span<double> nngp, Span<double> ntk, double c1, double s1, ReadOnlySpan<double> c2, ReadOnlySpan<double> s2)
    {
        if (!ntk.IsEmpty) throw Sign.NoNtk();
        base.RowKernel(nngp, ntk, c1, s1, c2, s2);
    }

    /// <inheritdoc />
    public override string ToString() => _name;
}
