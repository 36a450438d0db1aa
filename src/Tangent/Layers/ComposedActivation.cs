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
        refusal = $"{outer}∘{inner} has a kink, where Gauss–Hermite quadrature converges too slowly to reach {ComposedActivation.Tolerance:G1} relative, and no closed form here";
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
        _ => false,
    };
}

/// <summary>
/// φ2∘φ1 for two smooth activations (φ1 applied first), its kernel rule by 2-D Gauss–Hermite quadrature
/// of degree <see cref="QuadratureDegree"/> (<see cref="NumericalActivation"/>) with φ' = φ2'(φ1(x))·φ1'(x).
/// The accuracy depends on the input variance q (a smooth φ becomes steep on the scale of the nodes
/// when q is large), so before any kernel entry the input variances of every input are checked:
/// the quadrature's error estimate (degree n against 2n) at q_max, q_max/4 and q_max/16 and
/// correlations 1, 0.6, 0, −0.6 must stay within <see cref="Tolerance"/> of E[φ(u)²] (for the NNGP) and
/// E[φ'(u)²] (for the NTK factor), which bound every entry; otherwise a <see cref="NonGaussianInputException"/>
/// says to insert a dense layer between the two activations.
/// </summary>
internal sealed class ComposedActivation : Activation
{
    /// <summary>Gauss–Hermite points per dimension (64² evaluations of φ per kernel entry).</summary>
    public const int QuadratureDegree = 64;

    /// <summary>The relative accuracy demanded of the quadrature.</summary>
    public const double Tolerance = 1e-6;

    private static readonly double[] CheckedCorrelations = [1, 0.6, 0, -0.6];
    private readonly NumericalActivation _rule;
    private readonly string _location, _fix;
    private double _checkedUpTo = -1;

    /// <summary>Composes <paramref name="outer"/> after <paramref name="inner"/>.</summary>
    public ComposedActivation(Activation outer, Activation inner, string location, string fix)
    {
        Outer = outer; Inner = inner; _location = location; _fix = fix;
        _rule = new NumericalActivation(ToString(), x => outer.Phi(inner.Phi(x)), x => outer.Derivative(inner.Phi(x)) * inner.Derivative(x), QuadratureDegree);
    }

    /// <summary>φ2, applied second.</summary>
    public Activation Outer { get; }
    /// <summary>φ1, applied first.</summary>
    public Activation Inner { get; }

    /// <inheritdoc />
    public override bool HasNtk => Outer.HasNtk && Inner.HasNtk;
    /// <inheritdoc />
    public override double Phi(double x) => Outer.Phi(Inner.Phi(x));
    /// <inheritdoc />
    public override double Derivative(double x) => Outer.Derivative(Inner.Phi(x)) * Inner.Derivative(x);
    /// <inheritdoc />
    public override double Nngp(double q11, double q12, double q22) => _rule.Nngp(q11, q12, q22);
    /// <inheritdoc />
    public override double NtkFactor(double q11, double q12, double q22) => _rule.NtkFactor(q11, q12, q22);
    /// <inheritdoc />
    public override double Variance(double q) => _rule.Variance(q);
    /// <inheritdoc />
    public override double DerivativeVariance(double q) => _rule.DerivativeVariance(q);

    /// <inheritdoc />
    public override KernelState Apply(KernelState s)
    {
        EnsureAccurate(Math.Max(s.Cov1, s.Cov2));
        return base.Apply(s);
    }

    /// <inheritdoc />
    internal override void CheckInputVariances(ReadOnlySpan<double> q)
    {
        double max = 0;
        foreach (double v in q) if (v > max) max = v;
        EnsureAccurate(max);
    }

    /// <summary>The largest relative error estimate (NNGP or NTK factor) at input variance q.</summary>
    internal double RelativeError(double q)
    {
        double worst = 0;
        double scaleN = _rule.Variance(q), scaleT = HasNtk ? _rule.DerivativeVariance(q) : 0;
        foreach (double rho in CheckedCorrelations)
        {
            var (eN, eT) = _rule.ErrorEstimate(q, rho * q, q);
            worst = Math.Max(worst, eN == 0 ? 0 : eN / scaleN);
            if (HasNtk) worst = Math.Max(worst, eT == 0 ? 0 : eT / scaleT);
        }
        return double.IsNaN(worst) ? double.PositiveInfinity : worst;
    }

    private void EnsureAccurate(double qMax)
    {
        if (!(qMax > _checkedUpTo)) return;   // checked already (or a zero/NaN variance, where nothing is integrated)
        foreach (double q in new[] { qMax, qMax / 4, qMax / 16 })
        {
            double e = RelativeError(q);
            if (!(e <= Tolerance))
                throw new NonGaussianInputException(
                    $"{_location}: the composed activation {this} has no closed form, and its Gauss–Hermite quadrature (degree {QuadratureDegree}) " +
                    $"is only {e:G2} accurate (relative) at the input variance q = {q:G4} that these inputs reach, above {Tolerance:G1}; {_fix}.");
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
