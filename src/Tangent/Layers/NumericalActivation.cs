using Tangent.Numerics;

namespace Tangent.Layers;

/// <summary>
/// Gauss–Hermite quadrature for E[f(z)], z ~ N(0, 1): nodes and weights of the probabilists' rule
/// by Golub–Welsch (eigenvalues of the Jacobi matrix with off-diagonal √k), polished by Newton's
/// method on the normalised recurrence hₖ₊₁ = (x·hₖ − √k·hₖ₋₁)/√(k+1), weights 1/(n·hₙ₋₁(x)²).
/// Exact for polynomials of degree ≤ 2n − 1.
/// </summary>
public sealed class GaussHermite
{
    /// <summary>The nodes (ascending).</summary>
    public double[] Nodes { get; }
    /// <summary>The weights (summing to 1).</summary>
    public double[] Weights { get; }

    /// <summary>Builds the n-point rule.</summary>
    /// <exception cref="ArgumentOutOfRangeException">n outside 1..400.</exception>
    public GaussHermite(int n)
    {
        if (n is < 1 or > 400) throw new ArgumentOutOfRangeException(nameof(n), $"Gauss–Hermite degree must be in 1..400, got {n}.");
        var jac = new Matrix(n, n);
        for (int k = 1; k < n; k++) jac[k, k - 1] = jac[k - 1, k] = Math.Sqrt(k);
        var eig = SymmetricEigen.Compute(jac, ManagedProvider.Instance);
        Nodes = new double[n];
        Weights = new double[n];
        for (int i = 0; i < n; i++)
        {
            double x = eig.Values[i];
            for (int it = 0; it < 3; it++)
            {
                var (hn, hn1) = Recurrence(n, x);
                if (hn1 == 0) break;
                x -= hn / (Math.Sqrt(n) * hn1);
            }
            Nodes[i] = x;
            var (_, h) = Recurrence(n, x);
            Weights[i] = 1.0 / (n * h * h);
        }
    }

    /// <summary>(hₙ(x), hₙ₋₁(x)) of the normalised probabilists' Hermite polynomials.</summary>
    private static (double Hn, double Hn1) Recurrence(int n, double x)
    {
        double prev = 0, cur = 1; // h₋₁, h₀
        for (int k = 0; k < n; k++)
        {
            double next = (x * cur - Math.Sqrt(k) * prev) / Math.Sqrt(k + 1);
            prev = cur; cur = next;
        }
        return (cur, prev);
    }

    /// <summary>E[f(z)] for z ~ N(0, 1).</summary>
    public double Expect(Func<double, double> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        double s = 0;
        for (int i = 0; i < Nodes.Length; i++) s += Weights[i] * f(Nodes[i]);
        return s;
    }

    /// <summary>
    /// E[f(u)·g(v)] for (u, v) ~ N(0, [[q11, q12], [q12, q22]]) on the tensor grid, through the
    /// Cholesky factor of the 2×2 covariance: u = √q11·z1, v = (q12/√q11)·z1 + √(q22 − q12²/q11)·z2.
    /// </summary>
    public double Expect2(Func<double, double> f, Func<double, double> g, double q11, double q12, double q22)
    {
        double l11 = Math.Sqrt(Math.Max(q11, 0));
        double l21 = l11 > 0 ? q12 / l11 : 0;
        double l22 = Math.Sqrt(Math.Max(q22 - l21 * l21, 0));
        double s = 0;
        for (int i = 0; i < Nodes.Length; i++)
        {
            double fu = f(l11 * Nodes[i]);
            if (fu == 0) continue;
            double inner = 0, a = l21 * Nodes[i];
            for (int j = 0; j < Nodes.Length; j++) inner += Weights[j] * g(a + l22 * Nodes[j]);
            s += Weights[i] * fu * inner;
        }
        return s;
    }
}

/// <summary>
/// Any activation given as delegates φ and φ': both expectations by 2-D Gauss–Hermite quadrature of
/// the caller's degree (cost degree² evaluations per kernel entry). <see cref="ErrorEstimate"/>
/// compares degree n with degree 2n. Exact (to rounding) for polynomials of degree &lt; n; smooth φ
/// converge fast, kinks (ReLU) slowly: prefer a closed form where one exists.
/// </summary>
public sealed class NumericalActivation : Activation
{
    private readonly Func<double, double> _phi, _dphi;
    private readonly GaussHermite _rule;
    private GaussHermite? _fine;

    /// <summary>Creates a quadrature activation.</summary>
    /// <param name="name">Printed name (the spec language cannot express delegates; this is for messages).</param>
    /// <param name="phi">φ.</param>
    /// <param name="derivative">φ'.</param>
    /// <param name="degree">Gauss–Hermite points per dimension (1..200).</param>
    public NumericalActivation(string name, Func<double, double> phi, Func<double, double> derivative, int degree = 64)
    {
        ArgumentNullException.ThrowIfNull(phi);
        ArgumentNullException.ThrowIfNull(derivative);
        if (degree is < 1 or > 200) throw new ArgumentOutOfRangeException(nameof(degree), $"Quadrature degree must be in 1..200, got {degree}. 32-64 suits smooth activations.");
        Name = name; _phi = phi; _dphi = derivative; Degree = degree;
        _rule = new GaussHermite(degree);
    }

    /// <summary>Name used when printing.</summary>
    public string Name { get; }
    /// <summary>Points per dimension.</summary>
    public int Degree { get; }

    /// <inheritdoc />
    public override double Phi(double x) => _phi(x);
    /// <inheritdoc />
    public override double Derivative(double x) => _dphi(x);
    /// <inheritdoc />
    public override double Nngp(double q11, double q12, double q22) => _rule.Expect2(_phi, _phi, q11, q12, q22);
    /// <inheritdoc />
    public override double NtkFactor(double q11, double q12, double q22) => _rule.Expect2(_dphi, _dphi, q11, q12, q22);
    /// <inheritdoc />
    public override double Variance(double q) { double s = Math.Sqrt(Math.Max(q, 0)); return _rule.Expect(z => { double p = _phi(s * z); return p * p; }); }
    /// <inheritdoc />
    public override double DerivativeVariance(double q) { double s = Math.Sqrt(Math.Max(q, 0)); return _rule.Expect(z => { double p = _dphi(s * z); return p * p; }); }

    /// <summary>
    /// Error estimate at one covariance: |value(degree) − value(2·degree)| for the nngp and the ntk factor.
    /// </summary>
    public (double Nngp, double NtkFactor) ErrorEstimate(double q11, double q12, double q22)
    {
        var fine = _fine ??= new GaussHermite(Math.Min(2 * Degree, 400));
        return (Math.Abs(Nngp(q11, q12, q22) - fine.Expect2(_phi, _phi, q11, q12, q22)),
                Math.Abs(NtkFactor(q11, q12, q22) - fine.Expect2(_dphi, _dphi, q11, q12, q22)));
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}
