namespace Tangent.Layers;

/// <summary>
/// φ(x) = √2·sin(√(2γ)·x + π/4), the activation whose NNGP is the RBF kernel of its input (Neural
/// Tangents' <c>Rbf</c>; Rahimi &amp; Recht 2007 random features): a sine with a = √2, b = √(2γ), c = π/4,
/// for which cos(2c) = 0, so nngp' = e^{−γ(q11 + q22 − 2q12)}, ntk factor = 2γ·nngp', cov' = 1.
/// q11 + q22 − 2q12 is written as (√q11 − √q22)² + 2√q11·√q22·(1 − ρ) with the snapped correlation ρ,
/// so identical inputs give exactly the diagonal's value 1 at any variance.
/// </summary>
public sealed class Rbf : Activation
{
    /// <summary>Creates the RBF activation with inverse squared length-scale γ = 1/(2ℓ²).</summary>
    /// <exception cref="ArgumentOutOfRangeException">γ not a finite number &gt; 0.</exception>
    public Rbf(double gamma = 1)
    {
        if (!(double.IsFinite(gamma) && gamma > 0))
            throw new ArgumentOutOfRangeException(nameof(gamma), $"rbf: gamma must be a finite number > 0, got {gamma}. Try rbf(gamma=1).");
        Gamma = gamma;
    }

    /// <summary>γ, the inverse squared length-scale over 2.</summary>
    public double Gamma { get; }

    /// <inheritdoc />
    public override double Phi(double x) => Math.Sqrt(2) * Math.Sin(Math.Sqrt(2 * Gamma) * x + Math.PI / 4);
    /// <inheritdoc />
    public override double Derivative(double x) => 2 * Math.Sqrt(Gamma) * Math.Cos(Math.Sqrt(2 * Gamma) * x + Math.PI / 4);

    /// <inheritdoc />
    public override double Nngp(double q11, double q12, double q22)
    {
        double s1 = Math.Sqrt(Math.Max(q11, 0)), s2 = Math.Sqrt(Math.Max(q22, 0)), rho = Correlation(q11, q12, q22);
        double distance = (s1 - s2) * (s1 - s2) + 2 * s1 * s2 * (1 - rho);
        return Math.Exp(-Gamma * distance);
    }

    /// <inheritdoc />
    public override double NtkFactor(double q11, double q12, double q22) => 2 * Gamma * Nngp(q11, q12, q22);
    /// <inheritdoc />
    public override double Variance(double q) => 1;
    /// <inheritdoc />
    public override double DerivativeVariance(double q) => 2 * Gamma;

    /// <inheritdoc />
    public override string ToString() => Gamma == 1 ? "rbf" : $"rbf(gamma={Dense.Fmt(Gamma)})";
}

/// <summary>
/// The Gabor function φ(x) = e^{−x²}·sin(x) (Neural Tangents' <c>Gabor</c>; Han et al. 2022, "Fast
/// neural kernel embeddings for general activations"). With S = q11 + q22, Δ = q11·q22·(1 − ρ)(1 + ρ)
/// (ρ the snapped correlation), D = det(I + 2Σ) = 1 + 2S + 4Δ and A = S + 4Δ, writing sin u·sin v =
/// [cos(u − v) − cos(u + v)]/2 and E[e^{−|w|² + i·aᵀw}] = D^{−1/2}·e^{−aᵀΣ(I + 2Σ)^{−1}a/2}:
/// nngp' = D^{−1/2}·e^{−A/(2D)}·sinh(q12/D); the ntk factor is its derivative in q12 (Price's theorem),
/// D^{−1/2}·e^{−A/(2D)}·[4q12(D + 1 + S)·sinh(q12/D) + (D + 8q12²)·cosh(q12/D)]/D².
/// Every term is non-negative or a sinh of the sign of q12: no cancellation on or near the diagonal.
/// </summary>
public sealed class Gabor : Activation
{
    /// <inheritdoc />
    public override double Phi(double x) => Math.Exp(-x * x) * Math.Sin(x);
    /// <inheritdoc />
    public override double Derivative(double x) => Math.Exp(-x * x) * (Math.Cos(x) - 2 * x * Math.Sin(x));

    /// <summary>(S, D, A) of the class summary.</summary>
    private static (double S, double D, double A) Terms(double q11, double q12, double q22)
    {
        double a = Math.Max(q11, 0), b = Math.Max(q22, 0), rho = Correlation(q11, q12, q22);
        double s = a + b, delta = a * b * ((1 - rho) * (1 + rho));
        return (s, 1 + 2 * s + 4 * delta, s + 4 * delta);
    }

    /// <inheritdoc />
    public override double Nngp(double q11, double q12, double q22)
    {
        var (_, d, a) = Terms(q11, q12, q22);
        return Math.Exp(-a / (2 * d)) * Math.Sinh(q12 / d) / Math.Sqrt(d);
    }

    /// <inheritdoc />
    public override double NtkFactor(double q11, double q12, double q22)
    {
        var (s, d, a) = Terms(q11, q12, q22);
        double x = q12 / d;
        return Math.Exp(-a / (2 * d)) / Math.Sqrt(d)
            * (4 * q12 * (d + 1 + s) * Math.Sinh(x) + (d + 8 * q12 * q12) * Math.Cosh(x)) / (d * d);
    }

    /// <inheritdoc />
    public override string ToString() => "gabor";
}

/// <summary>
/// The rectified monomial φ(x) = max(x, 0)ⁿ (n = 0: the step 1{x ≥ 0}; n = 1: ReLU), whose dual is the
/// arc-cosine kernel of degree n (Cho &amp; Saul 2009; Neural Tangents' <c>RectifiedMonomial</c>):
/// E[φ(u)φ(v)] = (q11·q22)^{n/2}·Jₙ(θ)/(2π), θ = arccos ρ. Jₙ/(2π) = M(n, n)(ρ), the mixed moment
/// M(a, b) = E[u₊ᵃ·v₊ᵇ] of unit Gaussians with correlation ρ, is computed by Stein's lemma
/// (E[u·f] = E[∂ᵤf] + ρ·E[∂ᵥf]): M(a, b) = (a−1)·M(a−2, b) + ρ·b·M(a−1, b−1) for a ≥ 2, with
/// M(0, 0) = arccos(−ρ)/(2π), M(0, 1) = (1 + ρ)/(2√(2π)), M(0, b) = (b−1)·M(0, b−2) + ρ·δ(b−1),
/// M(1, b) = δ(b) + ρ·b·M(0, b−1), where δ(k) = E[δ₀(u)·v₊ᵏ] = (1 − ρ²)^{k/2}·E[z₊ᵏ]/√(2π). For ρ ≥ 0 every
/// term is non-negative (no cancellation on or near the diagonal). The ntk factor is n²·(q11·q22)^{(n−1)/2}·M(n−1, n−1);
/// the step (n = 0) has a Dirac-delta derivative and no NTK, like sign.
/// </summary>
public sealed class RectifiedMonomial : Activation
{
    /// <summary>Creates max(x, 0)ⁿ, 0 ≤ n ≤ 30.</summary>
    /// <exception cref="ArgumentOutOfRangeException">n outside 0..30.</exception>
    public RectifiedMonomial(int n)
    {
        if (n is < 0 or > 30) throw new ArgumentOutOfRangeException(nameof(n), $"rectified_monomial: n must be in 0..30, got {n}.");
        Degree = n;
    }

    /// <summary>n.</summary>
    public int Degree { get; }

    /// <inheritdoc />
    public override bool HasNtk => Degree > 0;

    /// <inheritdoc />
    public override double Phi(double x) => Degree == 0 ? (x >= 0 ? 1 : 0) : x > 0 ? Math.Pow(x, Degree) : 0;
    /// <inheritdoc />
    public override double Derivative(double x) => Degree == 0 || !(x > 0) ? 0 : Degree * Math.Pow(x, Degree - 1);

    /// <inheritdoc />
    public override double Nngp(double q11, double q12, double q22)
    {
        bool zero1 = !(q11 > 0), zero2 = !(q22 > 0);
        if (Degree == 0)   // φ(0) = 1: a zero-variance side is the constant 1, the other a fair coin
            return zero1 || zero2 ? (zero1 ? 1 : 0.5) * (zero2 ? 1 : 0.5) : UnitMoment(0, Correlation(q11, q12, q22));
        if (zero1 || zero2) return 0;
        return Math.Pow(Math.Sqrt(q11) * Math.Sqrt(q22), Degree) * UnitMoment(Degree, Correlation(q11, q12, q22));
    }

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">n = 0 (a step has no NTK).</exception>
    public override double NtkFactor(double q11, double q12, double q22)
    {
        if (Degree == 0) throw NoNtk();
        if (!(q11 > 0) || !(q22 > 0)) return 0;   // φ'(0) = 0
        return (double)Degree * Degree * Math.Pow(Math.Sqrt(q11) * Math.Sqrt(q22), Degree - 1) * UnitMoment(Degree - 1, Correlation(q11, q12, q22));
    }

    /// <inheritdoc />
    internal override void RowKernel(Span<double> nngp, Span<double> ntk, double c1, double s1, ReadOnlySpan<double> c2, ReadOnlySpan<double> s2)
    {
        if (!ntk.IsEmpty && Degree == 0) throw NoNtk();
        base.RowKernel(nngp, ntk, c1, s1, c2, s2);
    }

    private static NotSupportedException NoNtk() => new(
        "rectified_monomial(n=0) is a step and has no NTK: its derivative is a Dirac delta. Ask for the NNGP only (--get nngp), " +
        "or use n ≥ 1 (n=1 is relu).");

    /// <summary>M(n, n)(ρ) = E[u₊ⁿ·v₊ⁿ] for unit Gaussians with correlation ρ (the class summary's recurrences).</summary>
    internal static double UnitMoment(int n, double rho)
    {
        double s = Math.Sqrt(Math.Max((1 - rho) * (1 + rho), 0)), c = 1 / Math.Sqrt(2 * Math.PI);
        // delta[k] = E[δ₀(u)·v₊ᵏ] = c·sᵏ·E[z₊ᵏ], E[z₊ᵏ] = (k−1)·E[z₊ᵏ⁻²], E[z₊⁰] = 1/2, E[z₊¹] = c.
        var delta = new double[n + 1];
        double half0 = 0.5, half1 = c, sk = 1;
        for (int k = 0; k <= n; k++)
        {
            double m = k == 0 ? half0 : k == 1 ? half1 : (k - 1) * (k % 2 == 0 ? half0 : half1);
            if (k >= 2) { if (k % 2 == 0) half0 = m; else half1 = m; }
            delta[k] = c * sk * m;
            sk *= s;
        }
        var M = new double[n + 1, n + 1];
        M[0, 0] = Math.Acos(-rho) / (2 * Math.PI);
        if (n >= 1) M[0, 1] = M[1, 0] = (1 + rho) * c / 2;
        for (int b = 2; b <= n; b++) M[0, b] = M[b, 0] = (b - 1) * M[0, b - 2] + rho * delta[b - 1];
        for (int b = 1; b <= n; b++) M[1, b] = delta[b] + rho * b * M[0, b - 1];
        for (int a = 2; a <= n; a++)
            for (int b = 1; b <= n; b++) M[a, b] = (a - 1) * M[a - 2, b] + rho * b * M[a - 1, b - 1];
        return M[n, n];
    }

    /// <inheritdoc />
    public override string ToString() => $"rectified_monomial(n={Degree})";
}

/// <summary>
/// Neural Tangents' <c>Sigmoid_like</c>: φ(x) = ½·erf(x/2.4020563531719796) + ½, the erf closest to the
/// logistic sigmoid in squared error on [−5, 5]. Its kernels are those of <see cref="Erf"/>(a = ½,
/// b = 1/2.4020563531719796, c = ½), with the same cancellation-free evaluation; it prints as sigmoid_like.
/// For the exact logistic sigmoid use the quadrature activation sigmoid (<see cref="QuadratureActivation.Sigmoid"/>).
/// </summary>
public sealed class SigmoidLike : Activation
{
    /// <summary>The fitted input scale's reciprocal.</summary>
    public const double Scale = 2.4020563531719796;

    private readonly Erf _erf = new(0.5, 1 / Scale, 0.5);

    /// <inheritdoc />
    public override double Phi(double x) => _erf.Phi(x);
    /// <inheritdoc />
    public override double Derivative(double x) => _erf.Derivative(x);
    /// <inheritdoc />
    public override double Nngp(double q11, double q12, double q22) => _erf.Nngp(q11, q12, q22);
    /// <inheritdoc />
    public override double NtkFactor(double q11, double q12, double q22) => _erf.NtkFactor(q11, q12, q22);
    /// <inheritdoc />
    public override double Variance(double q) => _erf.Variance(q);
    /// <inheritdoc />
    public override double DerivativeVariance(double q) => _erf.DerivativeVariance(q);
    /// <inheritdoc />
    internal override void RowKernel(Span<double> nngp, Span<double> ntk, double c1, double s1, ReadOnlySpan<double> c2, ReadOnlySpan<double> s2) =>
        _erf.RowKernel(nngp, ntk, c1, s1, c2, s2);
    /// <inheritdoc />
    public override string ToString() => "sigmoid_like";
}
