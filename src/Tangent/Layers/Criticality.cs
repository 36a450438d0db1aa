namespace Tangent.Layers;

/// <summary>Phase of a deep network at initialisation (Poole et al. 2016; Schoenholz et al. 2017).</summary>
public enum Phase
{
    /// <summary>χ⊥ &lt; 1: nearby inputs become correlated with depth; gradients vanish.</summary>
    Ordered,
    /// <summary>χ⊥ ≈ 1: the edge of chaos, where deep signal propagation is possible.</summary>
    Critical,
    /// <summary>χ⊥ &gt; 1: nearby inputs decorrelate with depth; gradients explode.</summary>
    Chaotic,
}

/// <summary>The criticality analysis of one (activation, σw, σb).</summary>
/// <param name="FixedPoint">q*, the fixed point of q ↦ σw²·E[φ(z)²] + σb² (z ~ N(0, q)) reached from
/// q = 1; +∞ when the variance grows without bound; 1 when <see cref="Marginal"/> (every q is then a fixed point).</param>
/// <param name="ChiParallel">χ∥ = σw²·∂E[φ(z)²]/∂q at q*, the slope of the variance map
/// (= σw²·E[φ'(z)² + φ(z)φ''(z)], Roberts &amp; Yaida ch. 5); computed by a central difference.</param>
/// <param name="ChiPerp">χ⊥ = σw²·E[φ'(z)²] at q*, the slope of the correlation map at ρ = 1.</param>
/// <param name="Phase">Ordered, critical (|χ⊥ − 1| ≤ tolerance) or chaotic.</param>
/// <param name="Converged">False when the fixed-point iteration did not settle (q* is then its last value or +∞).</param>
public sealed record CriticalityResult(double FixedPoint, double ChiParallel, double ChiPerp, Phase Phase, bool Converged)
{
    /// <summary>
    /// True for a positively homogeneous φ (relu, leaky relu, abs, identity: E[φ(z)²] = m·q) at σb = 0 and
    /// σw²·m = 1 within the tolerance: the variance map is q ↦ q, so every q is a fixed point (a marginal line,
    /// not an attracting q*); <see cref="FixedPoint"/> is then the starting q = 1.
    /// </summary>
    public bool Marginal { get; init; }
}

/// <summary>The outcome of the search for the σw at which χ⊥ = 1 (<see cref="Criticality.FindCriticalWeightStd"/>).</summary>
/// <param name="WeightStd">The critical σw, checked by evaluating χ⊥ there (|χ⊥ − 1| within the tolerance); null when none exists in the range.</param>
/// <param name="Exact">True when <see cref="WeightStd"/> is the closed form √(1/E[φ'(z)²]) of a positively homogeneous φ,
/// whose χ⊥ does not depend on q.</param>
/// <param name="JumpAt">When χ⊥ jumps across 1 without taking the value 1 (the fixed point q* jumps, e.g. from 0 to ∞):
/// the σw of the jump; null otherwise.</param>
/// <param name="Below">The analysis just below the jump, or at the low end of the range when χ⊥ never reaches 1 (null when a root was found).</param>
/// <param name="Above">The analysis just above the jump, or at the high end of the range (null when a root was found).</param>
public sealed record CriticalSearch(double? WeightStd, bool Exact, double? JumpAt, CriticalityResult? Below, CriticalityResult? Above);

/// <summary>
/// Mean-field criticality of deep fully connected networks (Poole et al. 2016, Schoenholz et al. 2017,
/// Roberts &amp; Yaida 2022 ch. 5): the fixed point of the variance map, the susceptibilities and the
/// critical line. ReLU: χ∥ = χ⊥ = σw²/2, critical at σw² = 2 exactly (every q a fixed point at σb = 0);
/// erf: critical at σb = 0, σw = √π/2 (χ⊥ = σw²·4/π at q* = 0). Some activations have no critical σw:
/// for GELU at σb = 0, χ⊥ jumps from σw²/4 (q* = 0) to σw²/2 (q* = ∞) across 1.
/// </summary>
public static class Criticality
{
    /// <summary>The σw range searched by <see cref="FindCriticalWeightStd"/>.</summary>
    public const double MinWeightStd = 1e-3, MaxWeightStd = 100;

    /// <summary>Analyses (φ, σw, σb).</summary>
    /// <param name="activation">φ.</param>
    /// <param name="weightStd">σw ≥ 0.</param>
    /// <param name="biasStd">σb ≥ 0.</param>
    /// <param name="tolerance">|χ⊥ − 1| at most this counts as critical.</param>
    /// <exception cref="ArgumentOutOfRangeException">σw or σb negative or not finite.</exception>
    /// <exception cref="InvalidOperationException">χ⊥ is not a number (the activation's moments overflow at q*).</exception>
    public static CriticalityResult Analyze(Activation activation, double weightStd, double biasStd = 0, double tolerance = 1e-6)
    {
        var r = Evaluate(activation, weightStd, biasStd, tolerance);
        if (double.IsNaN(r.ChiPerp))
            throw new InvalidOperationException($"criticality of {activation} at σw = {weightStd}, σb = {biasStd}: χ⊥ = σw²·E[φ'(z)²] is not a number at q* = {r.FixedPoint} (its moments overflow); try a smaller σw.");
        return r;
    }

    private static CriticalityResult Evaluate(Activation activation, double weightStd, double biasStd, double tolerance)
    {
        ArgumentNullException.ThrowIfNull(activation);
        if (!(weightStd >= 0) || !double.IsFinite(weightStd))
            throw new ArgumentOutOfRangeException(nameof(weightStd), $"criticality: σw must be a finite number ≥ 0, got {weightStd}.");
        if (!(biasStd >= 0) || !double.IsFinite(biasStd))
            throw new ArgumentOutOfRangeException(nameof(biasStd), $"criticality: σb must be a finite number ≥ 0, got {biasStd}.");
        double w2 = weightStd * weightStd, b2 = biasStd * biasStd;
        if (biasStd == 0 && HomogeneousSlopes(activation) is (double m, double d) && Math.Abs(w2 * m - 1) <= tolerance)
        {
            // q ↦ σw²·m·q with σw²·m = 1: a marginal line of fixed points. Iterating would drift to 0 or ∞ on a rounding error.
            double chi = w2 * d;
            var phase = Math.Abs(chi - 1) <= tolerance ? Phase.Critical : chi < 1 ? Phase.Ordered : Phase.Chaotic;
            return new CriticalityResult(1, w2 * m, chi, phase, true) { Marginal = true };
        }
        double G(double x) => w2 * activation.Variance(x) + b2 - x;
        double q = 1;
        bool converged = false;
        for (int it = 0; it < 2000; it++)
        {
            double next = G(q) + q;
            if (!double.IsFinite(next) || next > 1e200) { q = double.PositiveInfinity; break; }
            if (Math.Abs(next - q) <= 1e-15 * Math.Max(q, 1e-300)) { q = next; converged = true; break; }
            if (next < 1e-300) { q = 0; converged = true; break; }
            q = next;
        }
        if (!converged && double.IsFinite(q))
            (q, converged) = Bracket(G, q);
        // When the variance diverges, the susceptibilities are their limits as q → ∞ (constants for ReLU-like φ, σw²/2 for GELU, ∞ for x³).
        double chiPerp = w2 * (double.IsFinite(q) ? activation.DerivativeVariance(q) : Limit(activation.DerivativeVariance));
        double chiPar = w2 * (double.IsFinite(q) ? VarianceSlope(activation, q) : Limit(x => VarianceSlope(activation, x)));
        var p = double.IsNaN(chiPerp) ? Phase.Chaotic
            : Math.Abs(chiPerp - 1) <= tolerance ? Phase.Critical
            : chiPerp < 1 ? Phase.Ordered : Phase.Chaotic;
        return new CriticalityResult(q, chiPar, chiPerp, p, converged);
    }

    /// <summary>
    /// (m, d) when φ is positively homogeneous of degree 1 in distribution — E[φ(z)²] = m·q and
    /// E[φ'(z)²] = d for every q (relu, leaky relu, abs, abrelu, identity, x·c) — checked at q from 1e-6 to 1e6;
    /// null otherwise.
    /// </summary>
    internal static (double M, double D)? HomogeneousSlopes(Activation activation)
    {
        double m = activation.Variance(1), d = activation.DerivativeVariance(1);
        if (!(m > 0) || !(d > 0) || !double.IsFinite(m) || !double.IsFinite(d)) return null;
        foreach (double q in new[] { 1e-6, 1e-3, 1e-1, 10, 1e3, 1e6 })
            if (Math.Abs(activation.Variance(q) - m * q) > 1e-12 * m * q || Math.Abs(activation.DerivativeVariance(q) - d) > 1e-12 * d)
                return null;
        return (m, d);
    }
    /// <summary>
    /// Near the critical line the iteration converges slowly (like 1/√t); finish by bisection on
    /// g(q) = σw²·V(q) + σb² − q, bracketed in the direction the iteration was moving.
    /// </summary>
    private static (double Q, bool Converged) Bracket(Func<double, double> g, double q)
    {
        double lo, hi;
        if (g(q) < 0)
        {
            hi = q; lo = 1e-12 * q;
            if (g(lo) <= 0) return (0, true);      // no positive fixed point below: the variance decays to 0
        }
        else
        {
            lo = q; hi = 2 * q;
            while (g(hi) > 0) { lo = hi; hi *= 2; if (hi > 1e200) return (double.PositiveInfinity, false); }
        }
        for (int it = 0; it < 200 && hi - lo > 1e-15 * hi; it++)
        {
            double mid = 0.5 * (lo + hi);
            if (g(mid) > 0) lo = mid; else hi = mid;
        }
        return (0.5 * (lo + hi), true);
    }

    /// <summary>lim f(q) as q → ∞: f(1e100) when it agrees with f(1e50) to 1e-6, else ∞ or 0 by the direction it moves.</summary>
    private static double Limit(Func<double, double> f)
    {
        double a = f(1e100), b = f(1e50);
        if (!double.IsFinite(a) || a == b || Math.Abs(a - b) <= 1e-6 * Math.Abs(a)) return a;
        return Math.Abs(a) > Math.Abs(b) ? Math.CopySign(double.PositiveInfinity, a) : 0;
    }

    /// <summary>∂E[φ(z)²]/∂q by a central difference (second-order one-sided at q = 0).</summary>
    private static double VarianceSlope(Activation a, double q)
    {
        double h = 1e-4 * Math.Max(q, 1e-2);
        return q > h
            ? (a.Variance(q + h) - a.Variance(q - h)) / (2 * h)
            : (-3 * a.Variance(q) + 4 * a.Variance(q + h) - a.Variance(q + 2 * h)) / (2 * h);   // second-order one-sided
    }

    /// <summary>The critical σw at the given σb (<see cref="FindCriticalWeightStd"/>), or null when there is none.</summary>
    public static double? CriticalWeightStd(Activation activation, double biasStd = 0) => FindCriticalWeightStd(activation, biasStd).WeightStd;

    /// <summary>
    /// Searches σw in [<see cref="MinWeightStd"/>, <see cref="MaxWeightStd"/>] for χ⊥(σw) = 1. A positively
    /// homogeneous φ has the exact answer √(1/E[φ'(z)²]) (χ⊥ does not depend on q*). Otherwise χ⊥ is scanned on a
    /// log grid for its first crossing of 1 from below and the crossing is bisected; the result counts as critical
    /// only when χ⊥ evaluated there is 1 within <paramref name="tolerance"/>. Where χ⊥ jumps across 1 instead
    /// (q* jumps from one branch to another, as for GELU at σb = 0) the jump and both sides are reported.
    /// </summary>
    /// <param name="activation">φ.</param>
    /// <param name="biasStd">σb ≥ 0.</param>
    /// <param name="tolerance">How close to 1 χ⊥ must be at the answer.</param>
    public static CriticalSearch FindCriticalWeightStd(Activation activation, double biasStd = 0, double tolerance = 1e-6)
    {
        ArgumentNullException.ThrowIfNull(activation);
        if (HomogeneousSlopes(activation) is (_, double d))
        {
            double w = Math.Sqrt(1 / d);
            return w is >= MinWeightStd and <= MaxWeightStd
                ? new CriticalSearch(w, true, null, null, null)
                : new CriticalSearch(null, false, null, Evaluate(activation, MinWeightStd, biasStd, tolerance), Evaluate(activation, MaxWeightStd, biasStd, tolerance));
        }
        CriticalityResult At(double w) => Evaluate(activation, w, biasStd, tolerance);
        static double F(CriticalityResult r) => double.IsNaN(r.ChiPerp) ? double.PositiveInfinity : r.ChiPerp - 1;
        const int steps = 120;
        double lo = MinWeightStd;
        var rlo = At(lo);
        if (Math.Abs(F(rlo)) <= tolerance) return new CriticalSearch(lo, false, null, null, null);
        if (F(rlo) > 0) return new CriticalSearch(null, false, null, rlo, At(MaxWeightStd));
        double hi = lo;
        CriticalityResult? rhi = null;
        for (int k = 1; k <= steps; k++)
        {
            hi = MinWeightStd * Math.Pow(MaxWeightStd / MinWeightStd, (double)k / steps);
            rhi = At(hi);
            if (F(rhi) >= 0) break;
            lo = hi; rlo = rhi;
        }
        if (F(rhi!) < 0) return new CriticalSearch(null, false, null, At(MinWeightStd), rhi);
        for (int it = 0; it < 200 && hi - lo > 1e-14 * hi; it++)
        {
            double mid = 0.5 * (lo + hi);
            var r = At(mid);
            if (F(r) < 0) { lo = mid; rlo = r; } else { hi = mid; rhi = r; }
        }
        foreach (var (w, r) in new[] { (lo, rlo), (hi, rhi!) })
            if (Math.Abs(F(r)) <= tolerance) return new CriticalSearch(w, false, null, null, null);
        // A jump. Its sides are shown a little away from it: exactly at the jump, q = 1 may itself be the unstable fixed point.
        var below = At(lo * (1 - 1e-9));
        var above = At(hi * (1 + 1e-9));
        return new CriticalSearch(null, false, 0.5 * (lo + hi), F(below) < 0 ? below : rlo, F(above) >= 0 ? above : rhi);
    }
}
