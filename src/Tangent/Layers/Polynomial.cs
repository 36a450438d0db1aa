namespace Tangent.Layers;

/// <summary>
/// φ(x) = Σₖ cₖ·xᵏ, exact for any covariance through the bivariate Gaussian moments (Isserlis/Wick):
/// E[uⁱvʲ] = Σₖ C(i,k)·C(j,k)·k!·q12ᵏ·(i−k−1)!!·q11^{(i−k)/2}·(j−k−1)!!·q22^{(j−k)/2}
/// over k ≤ min(i, j) with i−k and j−k even. The NTK factor uses the derivative's coefficients.
/// Monomials and Hermite polynomials are special cases.
/// </summary>
public class Polynomial : Activation
{
    private readonly double[] _c, _dc;

    /// <summary>Creates φ(x) = Σₖ coefficients[k]·xᵏ.</summary>
    /// <exception cref="ArgumentException">No coefficients, a non-finite one, or degree above 30.</exception>
    public Polynomial(IReadOnlyList<double> coefficients)
    {
        ArgumentNullException.ThrowIfNull(coefficients);
        if (coefficients.Count == 0) throw new ArgumentException("polynomial: give at least one coefficient, e.g. polynomial(coef=0;1).", nameof(coefficients));
        if (coefficients.Count > 31) throw new ArgumentException($"polynomial: degree {coefficients.Count - 1} is above the supported 30.", nameof(coefficients));
        foreach (double c in coefficients)
            if (!double.IsFinite(c)) throw new ArgumentException($"polynomial: coefficient {c} is not finite.", nameof(coefficients));
        _c = coefficients.ToArray();
        _dc = new double[Math.Max(_c.Length - 1, 1)];
        for (int k = 1; k < _c.Length; k++) _dc[k - 1] = k * _c[k];
    }

    /// <summary>The coefficients c₀, c₁, ….</summary>
    public IReadOnlyList<double> Coefficients => _c;

    /// <inheritdoc />
    public override double Phi(double x) => Horner(_c, x);
    /// <inheritdoc />
    public override double Derivative(double x) => Horner(_dc, x);
    /// <inheritdoc />
    public override double Nngp(double q11, double q12, double q22) => Dual(_c, q11, q12, q22);
    /// <inheritdoc />
    public override double NtkFactor(double q11, double q12, double q22) => Dual(_dc, q11, q12, q22);

    private static double Horner(double[] c, double x)
    {
        double s = 0;
        for (int k = c.Length - 1; k >= 0; k--) s = s * x + c[k];
        return s;
    }

    private static double Dual(double[] c, double q11, double q12, double q22)
    {
        double s = 0;
        for (int i = 0; i < c.Length; i++)
        {
            if (c[i] == 0) continue;
            for (int j = 0; j < c.Length; j++)
                if (c[j] != 0) s += c[i] * c[j] * Moment(i, j, q11, q12, q22);
        }
        return s;
    }

    /// <summary>E[uⁱvʲ] for (u, v) ~ N(0, [[q11, q12], [q12, q22]]).</summary>
    public static double Moment(int i, int j, double q11, double q12, double q22)
    {
        if (((i + j) & 1) == 1) return 0;
        double s = 0;
        for (int k = (i & 1); k <= Math.Min(i, j); k += 2)
            s += Binomial(i, k) * Binomial(j, k) * Factorial(k) * Math.Pow(q12, k)
                 * DoubleFactorial(i - k - 1) * Math.Pow(q11, (i - k) / 2) * DoubleFactorial(j - k - 1) * Math.Pow(q22, (j - k) / 2);
        return s;
    }

    private static double Factorial(int n) { double f = 1; for (int k = 2; k <= n; k++) f *= k; return f; }
    private static double DoubleFactorial(int n) { double f = 1; for (int k = n; k > 1; k -= 2) f *= k; return f; }
    private static double Binomial(int n, int k) { double b = 1; for (int t = 1; t <= k; t++) b = b * (n - k + t) / t; return b; }

    /// <inheritdoc />
    public override string ToString() => "polynomial(coef=" + string.Join(";", _c.Select(Dense.Fmt)) + ")";
}

/// <summary>φ(x) = xⁿ.</summary>
public sealed class Monomial : Polynomial
{
    /// <summary>Creates xⁿ, 0 ≤ n ≤ 30.</summary>
    public Monomial(int n) : base(Coefs(n)) => Degree = n;

    /// <summary>n.</summary>
    public int Degree { get; }

    private static double[] Coefs(int n)
    {
        if (n is < 0 or > 30) throw new ArgumentOutOfRangeException(nameof(n), $"monomial: n must be in 0..30, got {n}.");
        var c = new double[n + 1];
        c[n] = 1;
        return c;
    }

    /// <inheritdoc />
    public override string ToString() => $"monomial(n={Degree})";
}

/// <summary>
/// The normalised probabilists' Hermite polynomial hₙ = Heₙ/√(n!), orthonormal under N(0, 1)
/// (Heₙ₊₁ = x·Heₙ − n·Heₙ₋₁). On the unit sphere (q11 = q22 = 1) its dual is E[hₙ(u)hₙ(v)] = ρⁿ
/// (MIT 6.S088 lecture 4); for other variances the exact polynomial moments are used.
/// </summary>
public sealed class Hermite : Polynomial
{
    /// <summary>Creates hₙ, 0 ≤ n ≤ 30.</summary>
    public Hermite(int n) : base(Coefs(n)) => Degree = n;

    /// <summary>n.</summary>
    public int Degree { get; }

    private static double[] Coefs(int n)
    {
        if (n is < 0 or > 30) throw new ArgumentOutOfRangeException(nameof(n), $"hermite: n must be in 0..30, got {n}.");
        var prev = new double[n + 2]; var cur = new double[n + 2];
        cur[0] = 1; // He₀
        for (int k = 0; k < n; k++)
        {
            var next = new double[n + 2];
            for (int p = 0; p <= k; p++) next[p + 1] += cur[p];          // x·Heₖ
            for (int p = 0; p < n + 2; p++) next[p] -= k * prev[p];      // − k·Heₖ₋₁
            prev = cur; cur = next;
        }
        double norm = 1; for (int k = 2; k <= n; k++) norm *= k;
        norm = Math.Sqrt(norm);
        var c = new double[n + 1];
        for (int p = 0; p <= n; p++) c[p] = cur[p] / norm;
        return c;
    }

    /// <inheritdoc />
    public override string ToString() => $"hermite(n={Degree})";
}
